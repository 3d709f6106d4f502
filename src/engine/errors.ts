/** Every error the engine throws is an EngineError, so callers can tell ours from theirs. */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The runtime has no WebGPU at all (no navigator.gpu, no Dawn module). */
export class WebGPUUnavailableError extends EngineError {}

/** WebGPU exists but requestAdapter() gave nothing (no GPU, no software fallback). */
export class NoAdapterError extends EngineError {}

/** The device was lost (driver reset, destroy(), tab backgrounded too long). */
export class DeviceLostError extends EngineError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** A kernel or graph was given shapes or options that break its rules. */
export class ShapeError extends EngineError {}

/** A WGSL module failed to compile or a pipeline failed to build. */
export class PipelineError extends EngineError {}

/** The engine, or something it made, was used after dispose(). */
export class DisposedError extends EngineError {}
