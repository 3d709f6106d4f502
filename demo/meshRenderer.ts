/**
 * Draws the MANO mesh with a WebGPU render pipeline straight from a storage buffer of vertices
 * (nhwc4: one vec4 per vertex, as the engine's MANO output and `output: 'gpu'` give them), so
 * the mesh never visits the CPU. Projection is the network's weak perspective:
 * p = (s (X.xy + (tx, ty)) + 1) / 2 in crop coordinates, then crop -> image pixels -> clip space.
 */
export interface MeshView {
  /** Weak-perspective camera (s, tx, ty). */
  camera: ArrayLike<number>;
  /** The crop square in image pixels. */
  crop: { x: number; y: number; size: number };
  imageWidth: number;
  imageHeight: number;
  /** Buffers of a right hand from `output: 'gpu'` are not mirrored: flip x. */
  mirror?: boolean;
  /** Show y up (MANO's rest pose upright) instead of the network's image-down y; for the slider view. */
  flipY?: boolean;
  /** RGBA, straight alpha. */
  color?: [number, number, number, number];
}

const SHADER = /* wgsl */ `
struct U {
  cam: vec4<f32>,   // s, tx, ty, mirror
  crop: vec4<f32>,  // x, y, size, flipY
  img: vec4<f32>,   // width, height, 0, 0
  color: vec4<f32>,
}
@group(0) @binding(0) var<storage, read> V: array<vec4<f32>>;
@group(0) @binding(1) var<uniform> u: U;

struct Out {
  @builtin(position) pos: vec4<f32>,
  @location(0) world: vec3<f32>,
}

@vertex fn vs(@builtin(vertex_index) i: u32) -> Out {
  let X = V[i].xyz;
  var p = (u.cam.x * (X.xy + u.cam.yz) + 1.0) * 0.5;
  var w = X;
  if (u.cam.w > 0.5) {
    p.x = 1.0 - p.x;
    w.x = -w.x;
  }
  if (u.crop.w > 0.5) {
    p.y = 1.0 - p.y;
    w.y = -w.y;
  }
  let px = u.crop.xy + p * u.crop.z;
  var o: Out;
  o.pos = vec4<f32>(px.x / u.img.x * 2.0 - 1.0, 1.0 - px.y / u.img.y * 2.0, clamp(0.5 + 0.5 * X.z, 0.0, 1.0), 1.0);
  o.world = w;
  return o;
}

@fragment fn fs(i: Out) -> @location(0) vec4<f32> {
  let n = normalize(cross(dpdx(i.world), dpdy(i.world)));
  let light = abs(dot(n, normalize(vec3<f32>(0.3, -0.4, -1.0))));
  let c = u.color.rgb * (0.3 + 0.7 * light);
  return vec4<f32>(c * u.color.a, u.color.a);
}`;

/**
 * How the rendered frame reaches the page. 'canvas': a WebGPU canvas context (normal browsers).
 * 'readback': render into a texture, copy it back and put it on a 2-D canvas; for headless
 * Chromium on SwiftShader, which loses the device when a WebGPU canvas is presented.
 */
export type PresentMode = 'canvas' | 'readback';

export class MeshRenderer {
  private readonly ctx: GPUCanvasContext | null = null;
  private readonly ctx2d: CanvasRenderingContext2D | null = null;
  private target: { texture: GPUTexture; read: GPUBuffer; rowBytes: number } | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly pipeline: GPURenderPipeline;
  private readonly uniforms: GPUBuffer;
  private readonly index: GPUBuffer;
  private readonly count: number;
  private depth: GPUTexture | null = null;
  private group: { vertices: GPUBuffer; bg: GPUBindGroup } | null = null;
  private readonly format: GPUTextureFormat;

  constructor(
    private readonly device: GPUDevice,
    readonly canvas: HTMLCanvasElement,
    faces: Uint32Array,
    readonly present: PresentMode = 'canvas',
  ) {
    if (present === 'canvas') {
      const ctx = canvas.getContext('webgpu');
      if (!ctx) throw new Error('this canvas has no WebGPU context');
      this.ctx = ctx;
      this.format = navigator.gpu.getPreferredCanvasFormat();
      ctx.configure({ device, format: this.format, alphaMode: 'premultiplied' });
    } else {
      this.ctx2d = canvas.getContext('2d');
      if (!this.ctx2d) throw new Error('this canvas has no 2-D context');
      this.format = 'rgba8unorm';
    }
    const module = device.createShaderModule({ label: 'mesh', code: SHADER });
    this.pipeline = device.createRenderPipeline({
      label: 'mesh',
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: {
        module, entryPoint: 'fs',
        targets: [{ format: this.format, blend: { color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' }, alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' } } }],
      },
      primitive: { topology: 'triangle-list', cullMode: 'none' },
      depthStencil: { format: 'depth24plus', depthWriteEnabled: true, depthCompare: 'less' },
    });
    this.uniforms = device.createBuffer({ label: 'mesh.uniforms', size: 64, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.count = faces.length;
    this.index = device.createBuffer({ label: 'mesh.faces', size: Math.max(16, faces.byteLength), usage: GPUBufferUsage.INDEX | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(this.index, 0, faces.buffer, faces.byteOffset, faces.byteLength);
  }

  private depthFor(w: number, h: number): GPUTexture {
    if (!this.depth || this.depth.width !== w || this.depth.height !== h) {
      this.depth?.destroy();
      this.depth = this.device.createTexture({ size: [w, h], format: 'depth24plus', usage: GPUTextureUsage.RENDER_ATTACHMENT });
    }
    return this.depth;
  }

  private readbackTarget(w: number, h: number): { texture: GPUTexture; read: GPUBuffer; rowBytes: number } {
    const t = this.target;
    if (t && t.texture.width === w && t.texture.height === h) return t;
    t?.texture.destroy();
    t?.read.destroy();
    const rowBytes = Math.ceil((w * 4) / 256) * 256;
    this.target = {
      texture: this.device.createTexture({ label: 'mesh.target', size: [w, h], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC }),
      read: this.device.createBuffer({ label: 'mesh.readback', size: rowBytes * h, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      rowBytes,
    };
    return this.target;
  }

  /**
   * Clears the canvas (transparent) and, when given, draws the mesh from `vertices`. Resolves
   * when the frame is on the canvas (at once in 'canvas' mode; after the copy in 'readback').
   */
  render(vertices: GPUBuffer | null, view?: MeshView): Promise<void> {
    const p = this.chain.then(() => this.draw(vertices, view));
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async draw(vertices: GPUBuffer | null, view?: MeshView): Promise<void> {
    const { device } = this;
    const enc = device.createCommandEncoder({ label: 'mesh' });
    const w = this.canvas.width;
    const h = this.canvas.height;
    const rb = this.ctx ? null : this.readbackTarget(w, h);
    const target = this.ctx ? this.ctx.getCurrentTexture() : rb!.texture;
    const pass = enc.beginRenderPass({
      colorAttachments: [{ view: target.createView(), loadOp: 'clear', storeOp: 'store', clearValue: { r: 0, g: 0, b: 0, a: 0 } }],
      depthStencilAttachment: { view: this.depthFor(target.width, target.height).createView(), depthClearValue: 1, depthLoadOp: 'clear', depthStoreOp: 'store' },
    });
    if (vertices && view) {
      const c = view.color ?? [0.95, 0.75, 0.6, 0.75];
      device.queue.writeBuffer(this.uniforms, 0, new Float32Array([
        view.camera[0], view.camera[1], view.camera[2], view.mirror ? 1 : 0,
        view.crop.x, view.crop.y, view.crop.size, view.flipY ? 1 : 0,
        view.imageWidth, view.imageHeight, 0, 0,
        c[0], c[1], c[2], c[3],
      ]));
      if (this.group?.vertices !== vertices) {
        this.group = {
          vertices,
          bg: device.createBindGroup({
            layout: this.pipeline.getBindGroupLayout(0),
            entries: [{ binding: 0, resource: { buffer: vertices } }, { binding: 1, resource: { buffer: this.uniforms } }],
          }),
        };
      }
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, this.group.bg);
      pass.setIndexBuffer(this.index, 'uint32');
      pass.drawIndexed(this.count);
    }
    pass.end();
    if (rb) enc.copyTextureToBuffer({ texture: rb.texture }, { buffer: rb.read, bytesPerRow: rb.rowBytes }, [w, h]);
    device.queue.submit([enc.finish()]);
    if (!rb) return;
    await rb.read.mapAsync(GPUMapMode.READ);
    const src = new Uint8Array(rb.read.getMappedRange());
    const img = new ImageData(w, h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * rb.rowBytes + 4 * x;
        const o = 4 * (y * w + x);
        const a = src[i + 3];
        if (!a) continue;
        // The shader writes premultiplied colour; ImageData holds straight alpha.
        img.data[o] = Math.min(255, (src[i] * 255) / a);
        img.data[o + 1] = Math.min(255, (src[i + 1] * 255) / a);
        img.data[o + 2] = Math.min(255, (src[i + 2] * 255) / a);
        img.data[o + 3] = a;
      }
    rb.read.unmap();
    this.ctx2d!.putImageData(img, 0, 0);
  }

  dispose(): void {
    this.uniforms.destroy();
    this.index.destroy();
    this.depth?.destroy();
    this.target?.texture.destroy();
    this.target?.read.destroy();
    this.ctx?.unconfigure();
  }
}

/** Uploads CPU vertices ([V, 3]) as the vec4 storage buffer the renderer reads. */
export function vertexBuffer(device: GPUDevice, vertices: Float32Array, reuse?: GPUBuffer | null): GPUBuffer {
  const n = vertices.length / 3;
  const v4 = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) v4.set(vertices.subarray(3 * i, 3 * i + 3), 4 * i);
  const buf = reuse && reuse.size >= v4.byteLength ? reuse : device.createBuffer({ label: 'mesh.vertices', size: v4.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  if (buf !== reuse) reuse?.destroy();
  device.queue.writeBuffer(buf, 0, v4);
  return buf;
}
