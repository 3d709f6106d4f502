/**
 * Pose and shape sliders that drive MANO directly: a graph whose input is a plain [1, 1, 1, 61]
 * parameter tensor (beta 10 | pose 3 + 45 PCA | camera s, tx, ty, the regressor's layout) and
 * whose output vertices the mesh renderer reads from the GPU buffer as is. Meaningful without
 * trained network weights.
 */
import { buildMano, Engine, Graph, MANO_COEFFS_LAYOUT, type ManoAsset } from '../src/index.ts';
import { MeshRenderer, type PresentMode } from './meshRenderer.ts';

interface SliderSpec {
  label: string;
  channel: number;
  min: number;
  max: number;
  value: number;
}

export class ManoSliders {
  private values = new Float32Array(64);
  private pending: Promise<void> | null = null;
  private disposed = false;
  private sliders: { spec: SliderSpec; input: HTMLInputElement; out: HTMLElement }[] = [];

  private constructor(
    private readonly engine: Engine,
    private readonly exe: Awaited<ReturnType<Engine['compile']>>,
    private readonly params: ReturnType<Graph['input']>,
    private readonly vertices: ReturnType<Graph['input']>,
    private readonly renderer: MeshRenderer,
    private readonly size: number,
  ) {}

  static async create(device: GPUDevice, asset: ManoAsset, canvas: HTMLCanvasElement, panel: HTMLElement, present: PresentMode = 'canvas'): Promise<ManoSliders> {
    const engine = await Engine.create({ device });
    const g = new Graph();
    const params = g.input('params', [1, 1, 1, 61]);
    const mano = buildMano(g, asset, params, { layout: MANO_COEFFS_LAYOUT });
    g.output(mano.vertices);
    const exe = await engine.compile(g);
    const s = new ManoSliders(engine, exe, params, mano.vertices, new MeshRenderer(device, canvas, asset.faces, present), canvas.width);
    // Centre the rest hand: tx, ty = -(mean x, mean y); s fits its extent into ~70 % of the view.
    let mx = 0, my = 0, ext = 0;
    const v = asset.vTemplate;
    for (let i = 0; i < v.length; i += 3) (mx += v[i]), (my += v[i + 1]);
    mx /= v.length / 3;
    my /= v.length / 3;
    for (let i = 0; i < v.length; i += 3) ext = Math.max(ext, Math.abs(v[i] - mx), Math.abs(v[i + 1] - my));
    const scale = 0.7 / Math.max(ext, 1e-3);
    const L = MANO_COEFFS_LAYOUT;
    const specs: SliderSpec[] = [
      ...['global x', 'global y', 'global z'].map((label, i) => ({ label: `rot ${label}`, channel: L.pose + i, min: -Math.PI, max: Math.PI, value: 0 })),
      ...Array.from({ length: 10 }, (_, i) => ({ label: `pose PCA ${i + 1}`, channel: L.pose + 3 + i, min: -3, max: 3, value: 0 })),
      ...Array.from({ length: 10 }, (_, i) => ({ label: `shape β${i + 1}`, channel: L.beta + i, min: -3, max: 3, value: 0 })),
      { label: 'camera s', channel: L.camera, min: scale / 4, max: scale * 2, value: scale },
      { label: 'camera tx', channel: L.camera + 1, min: -mx - 0.2, max: -mx + 0.2, value: -mx },
      { label: 'camera ty', channel: L.camera + 2, min: -my - 0.2, max: -my + 0.2, value: -my },
    ];
    panel.replaceChildren();
    for (const spec of specs) {
      const row = document.createElement('label');
      row.className = 'slider';
      const name = document.createElement('span');
      name.textContent = spec.label;
      const input = document.createElement('input');
      input.type = 'range';
      input.min = String(spec.min);
      input.max = String(spec.max);
      input.step = String((spec.max - spec.min) / 200);
      input.value = String(spec.value);
      input.dataset.channel = String(spec.channel);
      const out = document.createElement('output');
      row.append(name, input, out);
      panel.append(row);
      s.sliders.push({ spec, input, out });
      input.addEventListener('input', () => void s.update());
    }
    const reset = document.createElement('button');
    reset.textContent = 'Reset pose and shape';
    reset.addEventListener('click', () => {
      for (const { spec, input } of s.sliders) input.value = String(spec.value);
      void s.update();
    });
    panel.append(reset);
    await s.update();
    return s;
  }

  /** Reads the sliders, runs MANO (2 dispatches) and draws, at most once per frame. */
  update(): Promise<void> {
    for (const { input, out, spec } of this.sliders) {
      this.values[spec.channel] = Number(input.value);
      out.textContent = Number(input.value).toFixed(2);
    }
    if (this.pending) return this.pending;
    this.pending = new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    return (this.pending = this.pending.then(async () => {
      this.pending = null;
      this.exe.write(this.params, this.values);
      await this.exe.run(); // submitted before the render below
      if (this.disposed) return;
      const L = MANO_COEFFS_LAYOUT;
      const cam = [this.values[L.camera], this.values[L.camera + 1], this.values[L.camera + 2]];
      await this.renderer.render(this.exe.gpuBuffer(this.vertices), { camera: cam, crop: { x: 0, y: 0, size: this.size }, imageWidth: this.size, imageHeight: this.size, flipY: true, color: [0.95, 0.78, 0.65, 1] });
    }));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.renderer.dispose();
    this.engine.dispose();
  }
}
