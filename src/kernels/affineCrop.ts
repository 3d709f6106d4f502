/**
 * Rotated / letterboxed crop of an RGB image into a network input in [0, 1] (MediaPipe's palm
 * detector 192x192 letterbox, its landmark model's 224x224 rotated crop): bilinear, zero outside
 * the image, optional per-channel mean/std and left-right mirroring, writing nhwc4
 * [N, outH, outW, 3].
 *
 * The crop -> image matrices are data, not WGSL: a graph input [N, 1, 1, 8] (graph node) or a
 * small storage buffer (texture source), rewritten per frame with `affineCropParams`, so a new
 * rotated rect every frame needs no new pipeline.
 */
import { EngineError, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, outputTensor, place } from './common.ts';
import { checkSourceTexture } from './imageToTensor.ts';
import { AFFINE_CROP_PARAMS, affineCropWGSL, type AffineCropSpec } from './affineCrop.wgsl.ts';

export { AFFINE_CROP_PARAMS, affineCropWGSL };

/**
 * A crop -> image affine map, row-major [a, b, c, d, e, f]: image x = a*u + b*v + c,
 * y = d*u + e*v + f for continuous crop coordinates (u, v) (pixel centres at k + 0.5), image
 * pixel centres likewise at k + 0.5. This is `toImage` of src/model/handRegion.ts regionTransform.
 */
export type AffineMatrix = readonly [number, number, number, number, number, number];

/** One crop: its matrix and whether to flip it left-right (output column u reads crop column outW - u). */
export interface AffineCropItem {
  toImage: AffineMatrix | readonly number[];
  mirror?: boolean;
}

export interface AffineCropOptions {
  height: number;
  width: number;
  /** The [N, 1, 1, 8] graph input `affineCropParams` fills; N is the output batch. */
  params: Tensor;
  /** Source values times this give [0, 1] (default 1 / 255: 8-bit RGB in a tensor; textures read [0, 1], use 1). */
  valueScale?: number;
  /** Per-channel (RGB) normalisation after scaling: (x - mean) / std (default none). */
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
  out?: Tensor;
}

/** The nhwc4 storage of the [N, 1, 1, 8] parameter tensor (or buffer) for these crops. */
export function affineCropParams(items: readonly AffineCropItem[]): Float32Array<ArrayBuffer> {
  const p = new Float32Array(items.length * AFFINE_CROP_PARAMS);
  items.forEach((it, i) => {
    const m = it.toImage;
    if (m.length !== 6 || !m.every(Number.isFinite)) throw new ShapeError(`affineCrop: crop ${i} matrix must be 6 finite numbers, got ${JSON.stringify(m)}`);
    p.set(m, i * AFFINE_CROP_PARAMS);
    p[i * AFFINE_CROP_PARAMS + 6] = it.mirror ? 1 : 0;
  });
  return p;
}

/** rgb * mul + add per channel, from the scale and optional mean/std. */
function epilogue(what: string, scale: number, mean?: readonly number[], std?: readonly number[]): Pick<AffineCropSpec, 'mul' | 'add'> {
  const m = mean ?? [0, 0, 0];
  const s = std ?? [1, 1, 1];
  if (m.length !== 3 || s.length !== 3 || !Number.isFinite(scale) || ![...m, ...s].every(Number.isFinite) || s.some((v) => v === 0))
    throw new ShapeError(`${what}: valueScale, mean and std must be finite with 3 channels each and std != 0`);
  return { mul: [scale / s[0], scale / s[1], scale / s[2]], add: [-m[0] / s[0], -m[1] / s[1], -m[2] / s[2]] };
}

function checkSize(what: string, h: number, w: number): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) throw new ShapeError(`${what}: output size must be positive integers, got ${h}x${w}`);
}

const WG = 8;

/**
 * source [1 or N, H, W, C >= 3] (RGB first; one image may serve every crop) -> [N, height,
 * width, 3], crop n through the matrix in row n of `params`.
 */
export function affineCrop(g: Graph, name: string, source: Tensor, o: AffineCropOptions): Tensor {
  const what = `affineCrop '${name}'`;
  const { height: oh, width: ow, params } = o;
  checkSize(what, oh, ow);
  const [n, a, b, c] = params.shape;
  // The kernel reads params as two dense vec4 per crop, so no channel view.
  if (a !== 1 || b !== 1 || c !== AFFINE_CROP_PARAMS || params.root) throw new ShapeError(`${what}: params '${params.name}' is [${params.shape}], expected a whole [N, 1, 1, ${AFFINE_CROP_PARAMS}] tensor`);
  if (source.channels < 3 || (source.shape[0] !== 1 && source.shape[0] !== n))
    throw new ShapeError(`${what}: source '${source.name}' is [${source.shape}], expected [1 or ${n}, H, W, >= 3]`);
  const y = outputTensor(g, name, 'affineCrop', o.out, [n, oh, ow, 3]);
  const ep = epilogue(what, o.valueScale ?? 1 / 255, o.mean, o.std);
  const spec: AffineCropSpec = { source: { tensor: source }, params, out: y, outH: oh, outW: ow, ...ep, wg: WG };
  g.add(name, {
    kernel: 'affineCrop',
    key: `${place(source)}>${place(y)} ${ep.mul.join()} ${ep.add.join()}`,
    wgsl: () => affineCropWGSL(spec),
    workgroups: [ceilDiv(ow, WG), ceilDiv(oh, WG), n],
    bindings: [
      { tensor: source, access: 'read' },
      { tensor: params, access: 'read' },
      { tensor: y, access: 'write' },
    ],
    flops: n * oh * ow * 40,
    bytes: 16 * n * oh * ow * 5,
  });
  return y;
}

export interface AffineCropTextureOptions {
  height: number;
  width: number;
  /** Texels times this give [0, 1] (default 1: unorm and float textures already read [0, 1]). */
  valueScale?: number;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

/**
 * The same kernel on a texture (a video frame, an uploaded image), outside any graph, as
 * ImageToTensor: `encode` it in `Executable.run({ before })` writing `exe.gpuBuffer(input)`.
 */
export class AffineCropTexture {
  private params: GPUBuffer | null = null;
  private capacity = 0;
  private cached: { texture: GPUTexture; out: GPUBuffer; group: GPUBindGroup } | null = null;
  private disposed = false;

  readonly device: GPUDevice;
  readonly height: number;
  readonly width: number;
  private readonly layout: GPUBindGroupLayout;
  private readonly pipeline: GPUComputePipeline;

  private constructor(device: GPUDevice, height: number, width: number, layout: GPUBindGroupLayout, pipeline: GPUComputePipeline) {
    this.device = device;
    this.height = height;
    this.width = width;
    this.layout = layout;
    this.pipeline = pipeline;
  }

  static async create(device: GPUDevice, o: AffineCropTextureOptions): Promise<AffineCropTexture> {
    const what = 'AffineCropTexture';
    checkSize(what, o.height, o.width);
    const ep = epilogue(what, o.valueScale ?? 1, o.mean, o.std);
    const layout = device.createBindGroupLayout({
      label: what,
      entries: [
        // unfilterable-float accepts every float colour format (see ImageToTensor).
        { binding: 0, visibility: GPUShaderStage.COMPUTE, texture: { sampleType: 'unfilterable-float', viewDimension: '2d' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
    const code = affineCropWGSL({ source: { texture: true }, outH: o.height, outW: o.width, ...ep, wg: WG });
    const pipeline = await device.createComputePipelineAsync({
      label: `${what} ${o.height}x${o.width}`,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module: device.createShaderModule({ label: what, code }), entryPoint: 'main' },
    });
    return new AffineCropTexture(device, o.height, o.width, layout, pipeline);
  }

  /** Crop i of `items` fills batch item i of `out`, a STORAGE buffer holding nhwc4 [N >= items.length, height, width, 3]. */
  encode(enc: GPUCommandEncoder, texture: GPUTexture, out: GPUBuffer, items: readonly AffineCropItem[]): void {
    if (this.disposed) throw new EngineError('AffineCropTexture: used after dispose()');
    if (!items.length) throw new ShapeError('AffineCropTexture: no crops');
    checkSourceTexture(texture);
    const { height: h, width: w } = this;
    if (out.size < items.length * h * w * 16) throw new ShapeError(`AffineCropTexture: output buffer of ${out.size} bytes is smaller than ${items.length} x ${h}x${w}x4 floats`);
    if (!this.params || items.length > this.capacity) {
      this.params?.destroy();
      this.capacity = items.length;
      this.params = this.device.createBuffer({ label: 'AffineCropTexture.params', size: items.length * AFFINE_CROP_PARAMS * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      this.cached = null;
    }
    this.device.queue.writeBuffer(this.params, 0, affineCropParams(items));
    const c = this.cached;
    let group: GPUBindGroup;
    if (c && c.texture === texture && c.out === out) group = c.group;
    else {
      group = this.device.createBindGroup({
        label: 'AffineCropTexture',
        layout: this.layout,
        entries: [
          { binding: 0, resource: texture.createView() },
          { binding: 1, resource: { buffer: this.params } },
          { binding: 2, resource: { buffer: out } },
        ],
      });
      this.cached = { texture, out, group };
    }
    const pass = enc.beginComputePass({ label: 'AffineCropTexture' });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(ceilDiv(w, WG), ceilDiv(h, WG), items.length);
    pass.end();
  }

  /** GPU objects held: the parameter buffer. */
  get buffers(): number {
    return this.params && !this.disposed ? 1 : 0;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params?.destroy();
    this.params = null;
    this.cached = null;
  }
}
