/**
 * The page of bench/peers.ts: the same HIU-DMTL weights in our engine (createHandEstimator, the
 * public API, given the pixels as ImageData) and in onnxruntime-web (the reference model's ONNX
 * export, given the same pixels as the network input tensor), each with its own device or
 * wasm instance. The Node side drives it one call at a time (window.peersBench), so it decides
 * the order; every time here is performance.now() around one call, in the page, results on the CPU.
 *
 * Served by bench/peers.ts from 127.0.0.1 (the page, this module bundled, onnxruntime-web's dist
 * files, the weights, the hand asset, the ONNX models, inputs and references); nothing else loads.
 */
import type * as Ort from 'onnxruntime-web';
import { createHandEstimator, type HandEstimate } from '../src/index.ts';
import { describeWebGPUAdapter } from './webgpuAdapter.ts';

/** One peer: ours, or onnxruntime-web with one execution provider (and WebGPU layout). */
export interface PeerSpec {
  id: string;
  kind: 'ours' | 'ort';
  /** ORT: the execution provider. */
  ep?: 'webgpu' | 'wasm';
  /** ORT WebGPU: preferredLayout (absent: ORT's default). */
  layout?: 'NCHW' | 'NHWC';
  /** ORT: URL of the onnxruntime-web module (a bundle with its loader inlined). */
  module?: string;
}

/** URLs of one configuration's files (bench/peers.ts serves them). */
export interface ConfigUrls {
  /** Our weights (`hiu convert` of the checkpoint the ONNX model was exported from). */
  weights: string;
  /** Our hand asset (the MANO layer runs after the network; ORT has none). */
  hand: string;
  onnx: string;
  /** S x S x 4 uint8 (alpha 255): our input, as ImageData. */
  pixels: string;
  /** [1, 3, S, S] float32: the same pixels as the network sees them (BGR, x / 127.5 - 1); ORT's input. */
  input: string;
  inputSize: number;
  /** ORT's files: the URL prefix of onnxruntime-web's dist/. */
  ortDist: string;
}

/** The network's last-stack outputs, NCHW, in the reference's order. */
export type Outputs = Record<'heatmaps' | 'pof' | 'mask' | 'coeffs', number[]>;

export interface RunResult {
  ms: number;
  outputs?: Outputs;
}

export interface CreateResult {
  ms: number;
  /** Ours: ms from the start of creation to the first progress event of each phase (public onProgress). */
  phases?: Record<string, number>;
  /** ORT: its version, wasm threads and what the EP was asked for. */
  detail?: string;
}

export interface PageInfo {
  userAgent: string;
  webgpu: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

interface Runner {
  run(wantOutputs: boolean): Promise<RunResult>;
  close(): Promise<void>;
}

declare global {
  interface Window {
    peersBench: typeof api;
    peersBenchReady?: boolean;
  }
}

let urls: ConfigUrls;
let image: ImageData;
let input: Float32Array;
const runners = new Map<string, Runner>();

async function bytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

const plain = (a: ArrayLike<number>) => Array.from(a);

/** Ours: the estimator as users create it; estimate() on the ImageData (no box: the whole S x S image, 1:1). */
async function createOurs(): Promise<{ runner: Runner; phases: Record<string, number> }> {
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const est = await createHandEstimator({
    weights: urls.weights,
    hand: urls.hand,
    onProgress: (p) => {
      phases[p.phase] ??= performance.now() - t0;
    },
  });
  if (est.info.inputSize !== urls.inputSize) throw new Error(`ours: network input ${est.info.inputSize}, the ONNX model's ${urls.inputSize}`);
  const runner: Runner = {
    async run(wantOutputs) {
      const t = performance.now();
      const r: HandEstimate = await est.estimate(image, { hand: 'left' });
      const ms = performance.now() - t;
      if (!wantOutputs) return { ms };
      return { ms, outputs: { heatmaps: plain(r.heatmaps), pof: plain(r.pof), mask: plain(r.maskLogit), coeffs: [...r.beta, ...r.pose, ...r.camera] } };
    },
    close: () => est.dispose(),
  };
  return { runner, phases };
}

/** onnxruntime-web: InferenceSession.create (fetches the model; the first session also starts ORT's wasm), run() on a CPU tensor. */
async function createOrt(ort: typeof Ort, spec: PeerSpec): Promise<{ runner: Runner; detail: string }> {
  ort.env.wasm.wasmPaths = urls.ortDist;
  ort.env.logLevel = 'error';
  const ep: Ort.InferenceSession.ExecutionProviderConfig = spec.ep === 'webgpu' ? (spec.layout ? { name: 'webgpu', preferredLayout: spec.layout } : 'webgpu') : 'wasm';
  const session = await ort.InferenceSession.create(urls.onnx, { executionProviders: [ep] });
  const s = urls.inputSize;
  const runner: Runner = {
    async run(wantOutputs) {
      const t = performance.now();
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, s, s]) };
      const out = await session.run(feeds);
      const ms = performance.now() - t;
      const data = (k: keyof Outputs) => plain(out[k].data as Float32Array);
      const outputs = wantOutputs ? { heatmaps: data('heatmaps'), pof: data('pof'), mask: data('mask'), coeffs: data('coeffs') } : undefined;
      for (const t of Object.values(out)) t.dispose();
      return { ms, outputs };
    },
    close: () => session.release(),
  };
  return { runner, detail: `onnxruntime-web ${ort.env.versions.web ?? '?'}, wasm threads ${String(ort.env.wasm.numThreads ?? 'default')}` };
}

// ---------------------------------------------------------------------------------------------
// What the Node side calls

const api = {
  async info(): Promise<PageInfo> {
    return { userAgent: navigator.userAgent, webgpu: await describeWebGPUAdapter(), crossOriginIsolated: self.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency };
  },

  /** Fetches the input (pixels and tensor) of one configuration; not timed. */
  async prepare(c: ConfigUrls): Promise<void> {
    urls = c;
    const s = c.inputSize;
    const px = new Uint8ClampedArray(await bytes(c.pixels));
    input = new Float32Array(await bytes(c.input));
    if (px.length !== s * s * 4 || input.length !== 3 * s * s) throw new Error(`inputs: ${px.length} pixel bytes, ${input.length} floats for ${s} x ${s}`);
    image = new ImageData(px, s, s);
  },

  /** Creates a peer; returns the creation time (fetching the weights or model, compiling). */
  async create(spec: PeerSpec): Promise<CreateResult> {
    if (runners.has(spec.id)) throw new Error(`${spec.id} exists`);
    // ORT's JavaScript is loaded before the clock starts, as ours is (the page bundle); its wasm is not.
    const ort = spec.kind === 'ort' ? ((await import(/* @vite-ignore */ spec.module!)) as typeof Ort) : undefined;
    const t0 = performance.now();
    if (spec.kind === 'ours') {
      const { runner, phases } = await createOurs();
      const ms = performance.now() - t0;
      runners.set(spec.id, runner);
      return { ms, phases };
    }
    const { runner, detail } = await createOrt(ort!, spec);
    const ms = performance.now() - t0;
    runners.set(spec.id, runner);
    return { ms, detail };
  },

  /** One inference, results read back to the CPU; the outputs come back only when asked (checks). */
  async run(id: string, wantOutputs = false): Promise<RunResult> {
    const r = runners.get(id);
    if (!r) throw new Error(`${id} not created`);
    return r.run(wantOutputs);
  },

  async dispose(id: string): Promise<void> {
    const r = runners.get(id);
    runners.delete(id);
    await r?.close();
  },
};

window.peersBench = api;
window.peersBenchReady = true;
