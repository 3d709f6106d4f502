/**
 * Getting a caller's image onto the GPU, shared by both estimator families: a GPUTexture is used
 * as is; ImageData is written with writeTexture; every other source (bitmaps, canvases, <img>,
 * VideoFrame, <video> as a VideoFrame) goes through copyExternalImageToTexture, with a CPU
 * read-back of the VideoFrame where the direct copy is refused (software adapters).
 */
import { EngineError } from '../engine/index.ts';
import { checkSourceTexture } from '../kernels/imageToTensor.ts';
import { InvalidImageError } from './errors.ts';
import { isA, type PreparedSource } from './sources.ts';

const err = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class SourceUploader {
  private texture: GPUTexture | null = null;

  constructor(private readonly device: GPUDevice) {}

  /** Upload textures held (0 or 1). */
  get textures(): number {
    return this.texture ? 1 : 0;
  }

  /**
   * An rgba8unorm texture of exactly this size (kernels read 0 past its edge, as past the
   * image's); kept while the size stays, so a video uploads into one texture for good.
   */
  private target(width: number, height: number): GPUTexture {
    const max = this.device.limits.maxTextureDimension2D;
    if (width > max || height > max) throw new InvalidImageError(`image ${width}x${height} exceeds this device's texture limit of ${max} pixels per side; downscale it first`);
    const t = this.texture;
    if (t && t.width === width && t.height === height) return t;
    t?.destroy();
    this.texture = this.device.createTexture({
      label: 'estimator.upload',
      size: [width, height],
      format: 'rgba8unorm',
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT,
    });
    return this.texture;
  }

  private async copyExternal(p: Extract<PreparedSource, { kind: 'external' }>, texture: GPUTexture): Promise<void> {
    try {
      this.device.queue.copyExternalImageToTexture({ source: p.source }, { texture }, [p.width, p.height]);
      return;
    } catch (e) {
      // Some implementations cannot import a VideoFrame (e.g. a GPU-backed frame on a software
      // adapter): read its pixels as RGBA instead, still without any per-pixel JavaScript.
      if (!isA(p.source, 'VideoFrame')) throw new InvalidImageError(`${p.what}: cannot copy it to the GPU: ${err(e)}`, { cause: e });
      const frame = p.source as VideoFrame;
      const rect = { x: 0, y: 0, width: frame.codedWidth, height: frame.codedHeight, ...(frame.visibleRect ? { x: frame.visibleRect.x, y: frame.visibleRect.y, width: frame.visibleRect.width, height: frame.visibleRect.height } : {}) };
      if (rect.width !== p.width || rect.height !== p.height) throw new InvalidImageError(`VideoFrame: cannot copy it to the GPU (${err(e)}), and its display size differs from its visible rectangle`, { cause: e });
      const layout = { format: 'RGBA' as VideoPixelFormat, rect };
      const bytes = new Uint8Array(frame.allocationSize(layout));
      try {
        await frame.copyTo(bytes, layout);
      } catch (e2) {
        throw new InvalidImageError(`VideoFrame: cannot copy it to the GPU (${err(e)}) nor read it as RGBA (${err(e2)})`, { cause: e2 });
      }
      this.device.queue.writeTexture({ texture }, bytes, { bytesPerRow: p.width * 4, rowsPerImage: p.height }, [p.width, p.height]);
    }
  }

  /**
   * Uploads the source (unless it is a GPUTexture) and runs `work` on its texture inside one
   * validation error scope; WebGPU rejections become EngineErrors naming the call and image type.
   * The caller serialises calls, so no other upload lands between the copy and `work`'s submit.
   */
  async with<T>(p: PreparedSource, call: string, work: (texture: GPUTexture) => Promise<T>): Promise<T> {
    const device = this.device;
    let texture: GPUTexture;
    if (p.kind === 'texture') {
      checkSourceTexture(p.texture);
      texture = p.texture;
    } else texture = this.target(p.width, p.height);
    device.pushErrorScope('validation');
    let failure: unknown = null;
    let result: T | undefined;
    try {
      if (p.kind === 'external') await this.copyExternal(p, texture);
      else if (p.kind === 'pixels')
        device.queue.writeTexture({ texture }, p.data as Uint8ClampedArray<ArrayBuffer>, { bytesPerRow: p.width * 4, rowsPerImage: p.height }, [p.width, p.height]);
      result = await work(texture);
    } catch (e) {
      failure = e;
    }
    const gpuError = await device.popErrorScope();
    if (failure) throw failure;
    if (gpuError) throw new EngineError(`${call}: WebGPU rejected the work for this ${p.what}: ${gpuError.message}`);
    return result as T;
  }

  dispose(): void {
    this.texture?.destroy();
    this.texture = null;
  }
}
