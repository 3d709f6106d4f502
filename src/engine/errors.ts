/**
 * Every error the engine throws is an EngineError, so callers can tell ours from theirs. Each
 * class spells out its `name`: minifiers rename classes, and `err.name` must still say which.
 */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The runtime has no WebGPU at all (no navigator.gpu, no Dawn module). */
export class WebGPUUnavailableError extends EngineError {
  override name = 'WebGPUUnavailableError';
}

/** WebGPU exists but requestAdapter() gave nothing (no GPU, no software fallback). */
export class NoAdapterError extends EngineError {
  override name = 'NoAdapterError';
}

/**
 * The device was lost (driver reset, destroy(), tab backgrounded too long). Nothing made on it
 * works again: dispose what used it and make a new one (a new engine, or with the embedding API
 * a new estimator), which requests a new device.
 */
export class DeviceLostError extends EngineError {
  override name = 'DeviceLostError';
  constructor(
    message: string,
    /** WebGPU's GPUDeviceLostInfo.reason: 'destroyed' or 'unknown'. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A kernel or graph was given shapes or options that break its rules. */
export class ShapeError extends EngineError {
  override name = 'ShapeError';
}

/** A WGSL module failed to compile or a pipeline failed to build. */
export class PipelineError extends EngineError {
  override name = 'PipelineError';
}

/** The engine, or something it made, was used after dispose(). */
export class DisposedError extends EngineError {
  override name = 'DisposedError';
}
