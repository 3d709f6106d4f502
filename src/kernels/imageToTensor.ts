/**
 * Image -> HIU-DMTL input on the GPU: crop (a square, possibly reaching past the image), resize
 * (bilinear), RGB -> BGR, x / 127.5 - 1 and left-right mirroring, in one compute dispatch that
 * samples a texture and writes nhwc4 [N, S, S, 3] into a storage buffer.
 *
 * This is not a graph node: the engine's graphs bind buffers only, and the source here is a
 * texture. Callers encode it into the inference command buffer through
 * `Executable.run({ before })`, writing into `exe.gpuBuffer(input)`, so one inference stays one
 * command buffer and one submit.
 */
import { EngineError, ShapeError } from '../engine/index.ts';
import { CROP_PARAMS_BYTES, imageToTensorWGSL } from './imageToTensor.wgsl.ts';

export { CROP_PARAMS_BYTES, imageToTensorWGSL };

/** One crop: a square of `side` image pixels whose top-left corner is (x, y). */
export interface CropSpec {
  x: number;
  y: number;
  side: number;
  /** Flip left-right (right hands: the network was trained on left hands). */
  mirror?: boolean;
  /** Valid image region of the texture, from its top-left texel (default: the whole texture). */
  imageWidth?: number;
  imageHeight?: number;
}

/** Texture formats whose texels a `texture_2d<f32>` reads as normalised or float colour. */
const FLOAT_COLOR_FORMATS = new Set<string>([
  'r8unorm', 'rg8unorm', 'rgba8unorm', 'rgba8unorm-srgb', 'bgra8unorm', 'bgra8unorm-srgb', 'rgb10a2unorm',
  'r16float', 'rg16float', 'rgba16float', 'r32float', 'rg32float', 'rgba32float', 'rg11b10ufloat',
]);

/** Throws an EngineError naming what is wrong when `t` cannot be sampled by this kernel. */
export function checkSourceTexture(t: GPUTexture): void {
  if (t.dimension !== '2d') throw new ShapeError(`image texture must be 2d, got '${t.dimension}'`);
  if (!(t.usage & GPUTextureUsage.TEXTURE_BINDING))
    throw new EngineError('image texture lacks GPUTextureUsage.TEXTURE_BINDING; create it with that usage so a compute shader can read it');
  if (!FLOAT_COLOR_FORMATS.has(t.format))
    throw new ShapeError(`image texture format '${t.format}' is not a float colour format (use rgba8unorm, bgra8unorm, rgba16float, rgba32float...)`);
  if (t.sampleCount !== 1) throw new ShapeError(`image texture is multisampled (${t.sampleCount}); resolve it first`);
  if (t.width < 1 || t.height < 1) throw new ShapeError(`image texture is ${t.width}x${t.height}`);
}

/** The pipeline and its small parameter buffer; one per device and crop size. */
export class ImageToTensor {
  private params: GPUBuffer;
  private capacity: number;
  private cached: { texture: GPUTexture; view: GPUTextureView | undefined; out: GPUBuffer; group: GPUBindGroup } | null = null;
  private disposed = false;

  private constructor(
    readonly device: GPUDevice,
    /** Output crop side S. */
    readonly size: number,
    private readonly layout: GPUBindGroupLayout,
    private readonly pipeline: GPUComputePipeline,
    private readonly wg: number,
  ) {
    this.capacity = 1;
    this.params = this.makeParams(1);
  }

  static async create(device: GPUDevice, size: number): Promise<ImageToTensor> {
    if (!Number.isInteger(size) || size < 1) throw new ShapeError(`imageToTensor: crop size must be a positive integer, got ${size}`);
    const wg = 8;
    const layout = device.createBindGroupLayout({
      label: 'imageToTensor',
      entries: [
        // unfilterable-float accepts every float colour format, filterable ones included.
        { binding: 0, visibility: GPUShaderStage.COMPUTE, texture: { sampleType: 'unfilterable-float', viewDimension: '2d' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
    const module = device.createShaderModule({ label: `imageToTensor S=${size}`, code: imageToTensorWGSL({ size, wg }) });
    const pipeline = await device.createComputePipelineAsync({
      label: `imageToTensor S=${size}`,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    return new ImageToTensor(device, size, layout, pipeline, wg);
  }

  private makeParams(n: number): GPUBuffer {
    return this.device.createBuffer({ label: 'imageToTensor.crops', size: n * CROP_PARAMS_BYTES, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  }

  /** GPU objects held: the parameter buffer (the pipeline is dropped with this object). */
  get buffers(): number {
    return this.disposed ? 0 : 1;
  }

  /**
   * Writes the crop parameters (a queue write, ordered before the caller's submit) and encodes
   * the dispatch: crop i fills batch item i of `out`, an nhwc4 [N >= crops.length, S, S, 3]
   * buffer. `texture` is the source; `out` must have STORAGE usage.
   */
  encode(enc: GPUCommandEncoder, texture: GPUTexture, out: GPUBuffer, crops: readonly CropSpec[], view?: GPUTextureView): void {
    if (this.disposed) throw new EngineError('imageToTensor: used after dispose()');
    if (!crops.length) throw new ShapeError('imageToTensor: no crops');
    const S = this.size;
    if (out.size < crops.length * S * S * 16)
      throw new ShapeError(`imageToTensor: output buffer of ${out.size} bytes is smaller than ${crops.length} x ${S}x${S}x4 floats`);
    if (crops.length > this.capacity) {
      this.params.destroy();
      this.capacity = crops.length;
      this.params = this.makeParams(crops.length);
      this.cached = null;
    }
    const data = new ArrayBuffer(crops.length * CROP_PARAMS_BYTES);
    const f = new Float32Array(data);
    const u = new Uint32Array(data);
    crops.forEach((c, i) => {
      if (![c.x, c.y, c.side].every(Number.isFinite) || !(c.side > 0)) throw new ShapeError(`imageToTensor: crop ${i} is not a finite square with side > 0: ${JSON.stringify(c)}`);
      const o = (i * CROP_PARAMS_BYTES) / 4;
      f[o] = c.x;
      f[o + 1] = c.y;
      f[o + 2] = c.side;
      u[o + 3] = c.mirror ? 1 : 0;
      f[o + 4] = Math.min(c.imageWidth ?? texture.width, texture.width);
      f[o + 5] = Math.min(c.imageHeight ?? texture.height, texture.height);
      u[o + 6] = i * S * S;
      u[o + 7] = 0;
    });
    this.device.queue.writeBuffer(this.params, 0, data);
    // One bind group per (texture, view, output): a reused upload texture makes none per call.
    let group: GPUBindGroup;
    const c = this.cached;
    if (c && c.texture === texture && c.view === view && c.out === out) group = c.group;
    else {
      group = this.device.createBindGroup({
        label: 'imageToTensor',
        layout: this.layout,
        entries: [
          { binding: 0, resource: view ?? texture.createView() },
          { binding: 1, resource: { buffer: this.params } },
          { binding: 2, resource: { buffer: out } },
        ],
      });
      this.cached = { texture, view, out, group };
    }
    const pass = enc.beginComputePass({ label: 'imageToTensor' });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, group);
    const n = Math.ceil(S / this.wg);
    pass.dispatchWorkgroups(n, n, crops.length);
    pass.end();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.destroy();
    this.cached = null;
  }
}
