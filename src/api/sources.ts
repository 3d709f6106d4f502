/**
 * What estimate() accepts, told apart by feature detection only (no DOM access: the same code
 * runs in a Web Worker, where HTMLImageElement and friends do not exist).
 */
import { DetachedBufferError, InvalidImageError } from './errors.ts';

/** Every image type estimate() takes. DOM element types are absent in workers; that is fine. */
export type HandImageSource =
  | ImageBitmap
  | HTMLImageElement
  | HTMLVideoElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | VideoFrame
  | ImageData
  | GPUTexture;

export type PreparedSource =
  | { kind: 'external'; source: GPUCopyExternalImageSource; width: number; height: number; what: string }
  | { kind: 'pixels'; data: Uint8ClampedArray; width: number; height: number; what: string }
  | { kind: 'texture'; texture: GPUTexture; width: number; height: number; what: string };

type Ctor = abstract new (...args: never[]) => unknown;

/** `v instanceof globalThis[name]`, false where the runtime has no such class. */
export function isA(v: unknown, name: string): boolean {
  const C = (globalThis as Record<string, unknown>)[name];
  return typeof C === 'function' && v instanceof (C as Ctor);
}

/** True when `b` was transferred (postMessage, structuredClone) or otherwise detached. */
export function isDetached(b: ArrayBufferLike): boolean {
  const d = (b as { detached?: unknown }).detached;
  if (typeof d === 'boolean') return d;
  if (b.byteLength !== 0) return false;
  try {
    new Uint8Array(b);
    return false;
  } catch {
    return true;
  }
}

function isGpuTexture(v: unknown): v is GPUTexture {
  if (isA(v, 'GPUTexture')) return true;
  const t = v as Partial<GPUTexture> | null;
  return !!t && typeof t === 'object' && typeof t.createView === 'function' && typeof t.format === 'string' && typeof t.width === 'number';
}

function sized(what: string, width: number, height: number, extra = ''): void {
  if (!(width >= 1 && height >= 1))
    throw new InvalidImageError(`${what} is ${width}x${height}: estimate() needs an image of at least 1x1 pixels${extra}`);
}

/** HTMLMediaElement.HAVE_CURRENT_DATA: the element has a frame to show (and to copy). */
const HAVE_CURRENT_DATA = 2;

/**
 * A <video> goes to the GPU as a VideoFrame of its current frame, not as the element itself.
 * Headless/software-composited Chromium (156) fails copyExternalImageToTexture for every video
 * frame ("Failed to copy content from video element"; importExternalTexture fails too), and only
 * a VideoFrame has a second way in: copyTo(RGBA) + writeTexture, which the estimator takes when
 * the direct copy throws. Where the direct copy works (GPU compositing) it is the same single
 * GPU blit (YUV to RGB) as for the element, and wrapping copies no pixels (the frame is
 * shared). createImageBitmap would add an async copy per frame, a 2-D canvas a second blit, and
 * importExternalTexture a texture_external variant of the crop kernel.
 *
 * The VideoFrame is closed in a microtask: WebGPU captures the pixels when
 * copyExternalImageToTexture is called and copyTo holds its own reference once called, so the
 * caller must use `source` synchronously, as the estimator does. Frames left to the garbage
 * collector would hold camera buffers and stall capture.
 */
function prepareVideo(v: HTMLVideoElement): PreparedSource {
  if (v.readyState < HAVE_CURRENT_DATA || v.videoWidth === 0 || v.videoHeight === 0)
    throw new InvalidImageError(
      `HTMLVideoElement has no frame yet (readyState ${v.readyState}, ${v.videoWidth}x${v.videoHeight}); wait for its 'loadeddata' event ` +
        '(or requestVideoFrameCallback) before passing it, and after srcObject/src changes',
    );
  const what = 'HTMLVideoElement';
  // No WebCodecs (older Safari/Firefox): the element itself, the only way there.
  if (typeof VideoFrame !== 'function') return { kind: 'external', source: v, width: v.videoWidth, height: v.videoHeight, what };
  let frame: VideoFrame;
  try {
    frame = new VideoFrame(v);
  } catch (e) {
    // E.g. a cross-origin video without CORS (SecurityError), or a frame that just went away.
    throw new InvalidImageError(`${what}: cannot read its current frame: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  queueMicrotask(() => frame.close());
  sized(what, frame.displayWidth, frame.displayHeight);
  return { kind: 'external', source: frame, width: frame.displayWidth, height: frame.displayHeight, what };
}

/**
 * Classifies and checks a source: its size and how to get it onto the GPU. Throws typed errors.
 * For an HTMLVideoElement, `source` is a VideoFrame of its current frame that is closed once
 * the calling code returns (a microtask): copy it to the GPU right away.
 */
export function prepareSource(src: unknown): PreparedSource {
  if (src === null || typeof src !== 'object') throw new InvalidImageError(`estimate(): expected an image (ImageBitmap, HTMLImageElement, HTMLVideoElement, canvas, OffscreenCanvas, VideoFrame, ImageData or GPUTexture), got ${src === null ? 'null' : typeof src}`);
  if (isGpuTexture(src)) {
    sized('GPUTexture', src.width, src.height);
    return { kind: 'texture', texture: src, width: src.width, height: src.height, what: 'GPUTexture' };
  }
  if (isA(src, 'ImageData')) {
    const d = src as ImageData;
    if (isDetached(d.data.buffer)) throw new DetachedBufferError('ImageData: its pixel buffer was transferred (detached); pass ImageData whose data is still attached');
    sized('ImageData', d.width, d.height);
    if (d.data.length !== d.width * d.height * 4) throw new InvalidImageError(`ImageData ${d.width}x${d.height} holds ${d.data.length} bytes, expected ${d.width * d.height * 4}`);
    return { kind: 'pixels', data: d.data, width: d.width, height: d.height, what: 'ImageData' };
  }
  if (isA(src, 'VideoFrame')) {
    const f = src as VideoFrame;
    sized('VideoFrame', f.displayWidth, f.displayHeight, ' (was the frame closed?)');
    return { kind: 'external', source: f, width: f.displayWidth, height: f.displayHeight, what: 'VideoFrame' };
  }
  if (isA(src, 'ImageBitmap')) {
    const b = src as ImageBitmap;
    sized('ImageBitmap', b.width, b.height, ' (was the bitmap closed?)');
    return { kind: 'external', source: b, width: b.width, height: b.height, what: 'ImageBitmap' };
  }
  if (isA(src, 'OffscreenCanvas') || isA(src, 'HTMLCanvasElement')) {
    const c = src as OffscreenCanvas | HTMLCanvasElement;
    const what = isA(src, 'OffscreenCanvas') ? 'OffscreenCanvas' : 'HTMLCanvasElement';
    sized(what, c.width, c.height);
    return { kind: 'external', source: c, width: c.width, height: c.height, what };
  }
  if (isA(src, 'HTMLVideoElement')) return prepareVideo(src as HTMLVideoElement);
  if (isA(src, 'HTMLImageElement')) {
    const i = src as HTMLImageElement;
    if (!i.complete) throw new InvalidImageError('HTMLImageElement has not finished loading; await img.decode() (or its load event) first');
    sized('HTMLImageElement', i.naturalWidth, i.naturalHeight, ' (did it fail to load or decode?)');
    return { kind: 'external', source: i, width: i.naturalWidth, height: i.naturalHeight, what: 'HTMLImageElement' };
  }
  const name = (src as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  throw new InvalidImageError(`estimate(): ${name} is not a supported image type (ImageBitmap, HTMLImageElement, HTMLVideoElement, canvas, OffscreenCanvas, VideoFrame, ImageData, GPUTexture)`);
}
