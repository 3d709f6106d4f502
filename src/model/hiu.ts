/**
 * HIU-DMTL as an engine graph, built from weights and a configuration inferred from their shapes
 * (../../../shared/docs/hiu-dmtl-network.md). Fusions, all exact:
 * - BatchNorm folds into the producing conv's per-channel scale/shift; ReLU runs in its epilogue.
 * - A bottleneck's shortcut add and final ReLU run in its last conv's epilogue.
 * - AvgPool(s) + 1x1 conv shortcuts become one s x s stride-s conv (poolConvWeight); AvgPool + BN
 *   alone is one avgPool2d with the BN as its epilogue.
 * - Decoder top-down: bilinear resize and a 1x1 conv + BN commute (bilinear weights sum to 1),
 *   so the upsample's last CB runs at low resolution and the resize-and-add runs in the lateral
 *   conv's epilogue: one dispatch per lateral, no upsampled tensor in memory.
 * - Concatenations [F0, T_k] are free: the stem and each TAM write channel views of one buffer.
 * - TAM: three pooled vectors interleave into one tensor, its six 1x1 convs are one dense-chain
 *   dispatch, and softmax + weighted sum are one kernel writing into the concat buffer.
 */
import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { avgPool2d, conv2d, denseChain, globalAvgPool, heatmapKeypoints, sigmoid, taskAttention, type DenseLayer } from '../kernels/index.ts';
import { encoderPlan, hiuStackInput, type BottleneckSpec, type HiuConfig } from '../weights/config.ts';
import { identityWeight, insertZeroInputs, padOutputs, padVec, Params, poolConvWeight, type TensorLookup } from './params.ts';

export interface HiuBuildOptions {
  batch?: number;
  /** Crop side, a multiple of 32 (default: the config's inputSize). Maps come out at a quarter of it. */
  inputSize?: number;
  /** Prediction heads for the last stack only (inference) or for every stack. */
  heads?: 'last' | 'all';
  /** Run the parameter regressor on the last stack (default true). */
  regressor?: boolean;
}

export interface HiuHeads {
  heatmaps: Tensor;
  pof: Tensor;
  maskLogit: Tensor;
}

export interface HiuGraph {
  /** [N, S, S, 3], BGR, x / 127.5 - 1. */
  input: Tensor;
  /** Heads per stack; null for stacks whose heads were not requested. */
  stacks: (HiuHeads | null)[];
  last: HiuHeads & { maskProb: Tensor; keypoints: Tensor };
  /** [N, 1, 1, 61]: beta 10 | pose 48 | camera 3. */
  coeffs: Tensor | null;
}

const TASKS = [
  ['hm', 'heatmaps'],
  ['pof', 'pof'],
  ['mask', 'mask'],
] as const;

export function buildHiuGraph(g: Graph, weights: TensorLookup, config: HiuConfig, opts: HiuBuildOptions = {}): HiuGraph {
  const P = new Params(weights, 'HIU-DMTL weights');
  const n = opts.batch ?? 1;
  const size = opts.inputSize ?? config.inputSize;
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0)
    throw new ShapeError(`HIU-DMTL input size must be a positive multiple of 32, got ${size}`);
  const K = config.stacks;
  const wantRegressor = opts.regressor ?? true;
  const m = size / 4;
  const C0 = config.stemWidths[1];
  const C0p = pad4(C0);
  const D = config.decoderWidth;

  const input = g.input('input', [n, size, size, 3]);
  // One buffer holds [F0 | T_k]: F0 is padded to a vec4 boundary so T_k's view starts on one.
  const needConcat = K > 1 || wantRegressor;
  const stackIn = needConcat ? g.tensor('stackInput', [n, m, m, C0p + D]) : null;
  const f0 = stackIn ? g.channelView(stackIn, 0, C0p, 'F0') : g.tensor('F0', [n, m, m, C0p]);

  g.scope('stem', () => {
    const c0 = config.stemWidths[0];
    const a = conv2d(g, 'conv0', input, {
      weight: P.get('stem.0.0.weight', [c0, 3, 7, 7]), outChannels: c0, kernel: 7, stride: 2, padding: 3, relu: true, ...P.bn('stem.0.1', c0),
    });
    const bn = P.bn('stem.1.1', C0);
    conv2d(g, 'conv1', a, {
      weight: padOutputs(P.get('stem.1.0.weight', [C0, c0, 7, 7]), C0p - C0, c0 * 49), outChannels: C0p, kernel: 7, stride: 2, padding: 3,
      relu: true, scale: padVec(bn.scale, C0p - C0), shift: padVec(bn.shift, C0p - C0), out: f0,
    });
  });

  const heads: (HiuHeads | null)[] = [];
  let lastHeads: HiuHeads | null = null;
  for (let k = 0; k < K; k++) {
    const isLast = k === K - 1;
    const x = k === 0 ? f0 : stackIn!;
    g.scope(`stack${k}`, () => {
      const plan = encoderPlan(`encs.${k}`, hiuStackInput(config, k), config.encoderChannels, config.encoderBlocks, config.minPlane, config.midWidths?.encoders[k]);
      const feats = g.scope('encoder', () => encoder(g, P, plan, x, C0, config.encoderBlocks));
      const wantHeads = opts.heads === 'all' || isLast;
      const taskFeats: Tensor[] = [];
      const h: Partial<Record<'heatmaps' | 'pof' | 'mask', Tensor>> = {};
      for (const [task, head] of TASKS) {
        const cout = config.heads[head === 'mask' ? 'mask' : head];
        g.scope(`${task}_dec`, () => {
          const f = decoder(g, P, `${task}_decs.${k}`, feats, D);
          taskFeats.push(f);
          if (wantHeads) h[head] = g.output(predict(g, P, `${task}_decs.${k}.predict`, f, D, cout));
        });
      }
      const head = wantHeads ? { heatmaps: h.heatmaps!, pof: h.pof!, maskLogit: h.mask! } : null;
      heads.push(head);
      if (isLast) lastHeads = head;
      // The last stack's TAM only feeds the regressor.
      if (!isLast || wantRegressor) {
        g.scope('tam', () => tam(g, P, `tams.${k}`, taskFeats, D, config.tamWidth, g.channelView(stackIn!, C0p, D, `T${k}`)));
      }
    });
  }

  const last = lastHeads as HiuHeads | null;
  if (!last) throw new ShapeError('HIU-DMTL: the last stack produced no heads');
  const maskProb = g.output(sigmoid(g, 'maskProb', last.maskLogit));
  const keypoints = g.output(heatmapKeypoints(g, 'keypoints', last.heatmaps));

  let coeffs: Tensor | null = null;
  if (wantRegressor) {
    coeffs = g.scope('regressor', () => {
      const plan = encoderPlan('regressor.0', hiuStackInput(config, 1), config.regressorChannels, config.regressorBlocks, config.minPlane, config.midWidths?.regressor);
      const feats = g.scope('encoder', () => encoder(g, P, plan, stackIn!, C0, config.regressorBlocks));
      const pooled = globalAvgPool(g, 'pool', feats[feats.length - 1]);
      const widths = [config.regressorChannels[config.regressorChannels.length - 1], ...config.regressorMlp];
      const layers: DenseLayer[] = widths.slice(0, -1).map((w, j) => ({
        weight: P.get(`regressor.2.${j}.0.weight`, [widths[j + 1], w, 1, 1]), relu: true, ...P.bn(`regressor.2.${j}.1`, widths[j + 1]),
      }));
      const L = widths.length - 1;
      const out = config.regressorOutputs;
      layers.push({ weight: P.get(`regressor.2.${L}.0.weight`, [out, widths[L], 1, 1]), bias: P.get(`regressor.2.${L}.0.bias`, [out]) });
      return g.output(denseChain(g, 'mlp', pooled, layers));
    });
  }
  return { input, stacks: heads, last: { ...last, maskProb, keypoints }, coeffs };
}

/** Runs an encoder; returns the last tensor of every stage (C1..C4). */
function encoder(g: Graph, P: Params, plan: BottleneckSpec[], x: Tensor, stemChannels: number, blocks: number[]): Tensor[] {
  const outs: Tensor[] = [];
  let t = x;
  let i = 0;
  blocks.forEach((nb, stage) => {
    for (let b = 0; b < nb; b++, i++) t = g.scope(`stage${stage}.block${b}`, () => bottleneck(g, P, plan[i], t, stemChannels));
    outs.push(t);
  });
  return outs;
}

function bottleneck(g: Graph, P: Params, s: BottleneckSpec, x: Tensor, stemChannels: number): Tensor {
  const p = s.prefix;
  // The stack input may carry zero channels that pad F0 to a vec4 boundary: widen the weights.
  const extra = x.channels - s.cin;
  if (extra < 0 || (extra > 0 && x.channels !== pad4(stemChannels) + (s.cin - stemChannels)))
    throw new ShapeError(`${p}: input '${x.name}' has ${x.channels} channels, the weights expect ${s.cin}`);
  const widen = (w: Float32Array, cout: number) => insertZeroInputs(w, cout, s.cin, 1, stemChannels, extra);
  const a = conv2d(g, 'conv0', x, {
    weight: widen(P.get(`${p}.convs.0.0.weight`, [s.mid, s.cin, 1, 1]), s.mid), outChannels: s.mid, kernel: 1, relu: true, ...P.bn(`${p}.convs.0.1`, s.mid),
  });
  const b = conv2d(g, 'conv1', a, {
    weight: P.get(`${p}.convs.1.0.weight`, [s.mid, s.mid, 3, 3]), outChannels: s.mid, kernel: 3, stride: s.stride, padding: 1, relu: true, ...P.bn(`${p}.convs.1.1`, s.mid),
  });
  let res: Tensor;
  switch (s.shortcut) {
    case 'identity':
      // On the padded stack input the output has no pad lanes, so a 1x1 conv picks the real channels
      // (exact: one weight 1, the rest 0). Only when the stem width is not a multiple of 4.
      res = extra ? conv2d(g, 'shortcut', x, { weight: widen(identityWeight(s.cin), s.cin), outChannels: s.cin, kernel: 1 }) : x;
      break;
    case 'conv':
      res = conv2d(g, 'shortcut', x, {
        weight: widen(P.get(`${p}.residual.0.weight`, [s.cout, s.cin, 1, 1]), s.cout), outChannels: s.cout, kernel: 1, ...P.bn(`${p}.residual.1`, s.cout),
      });
      break;
    case 'pool-conv':
      res = conv2d(g, 'shortcut', x, {
        weight: poolConvWeight(widen(P.get(`${p}.residual.1.0.weight`, [s.cout, s.cin, 1, 1]), s.cout), s.cout, x.channels, s.stride),
        outChannels: s.cout, kernel: s.stride, stride: s.stride, ...P.bn(`${p}.residual.1.1`, s.cout),
      });
      break;
    case 'pool-bn':
      res = avgPool2d(g, 'shortcut', x, { kernel: s.stride, stride: s.stride, ...P.bn(`${p}.residual.1`, s.cout) });
      break;
  }
  return conv2d(g, 'conv2', b, {
    weight: P.get(`${p}.convs.2.0.weight`, [s.cout, s.mid, 1, 1]), outChannels: s.cout, kernel: 1, residual: res, relu: true, ...P.bn(`${p}.convs.2.1`, s.cout),
  });
}

/** FPN-style decoder over C1..C4; returns the task feature (D channels at a quarter of the input). */
function decoder(g: Graph, P: Params, p: string, feats: Tensor[], D: number): Tensor {
  const lateral = (j: number, x: Tensor, up?: Tensor) =>
    conv2d(g, `lateral${j}`, x, {
      weight: P.get(`${p}.laterals.${j}.0.weight`, [D, x.channels, 1, 1]), outChannels: D, kernel: 1, relu: true, ...P.bn(`${p}.laterals.${j}.1`, D),
      upsampleAdd: up && { tensor: up, alignCorners: true },
    });
  let f = lateral(0, feats[feats.length - 1]);
  for (let j = 1; j < feats.length; j++) {
    const u = g.scope(`upsample${j - 1}`, () => {
      const q = `${p}.upsamples.${j - 1}`;
      const a = conv2d(g, 'conv0', f, { weight: P.get(`${q}.0.0.weight`, [D, D, 3, 3]), outChannels: D, kernel: 3, padding: 1, relu: true, ...P.bn(`${q}.0.1`, D) });
      const b = conv2d(g, 'conv1', a, { weight: P.get(`${q}.1.0.weight`, [D, D, 3, 3]), outChannels: D, kernel: 3, padding: 1, relu: true, ...P.bn(`${q}.1.1`, D) });
      return conv2d(g, 'conv3', b, { weight: P.get(`${q}.3.0.weight`, [D, D, 1, 1]), outChannels: D, kernel: 1, ...P.bn(`${q}.3.1`, D) });
    });
    f = lateral(j, feats[feats.length - 1 - j], u);
  }
  return f;
}

/** Prediction head: CBR 3x3, CBR 3x3, conv 3x3 -> C, (resize to the same size: identity), BN. */
function predict(g: Graph, P: Params, p: string, f: Tensor, D: number, cout: number): Tensor {
  return g.scope('predict', () => {
    const a = conv2d(g, 'conv0', f, { weight: P.get(`${p}.0.0.weight`, [D, D, 3, 3]), outChannels: D, kernel: 3, padding: 1, relu: true, ...P.bn(`${p}.0.1`, D) });
    const b = conv2d(g, 'conv1', a, { weight: P.get(`${p}.1.0.weight`, [D, D, 3, 3]), outChannels: D, kernel: 3, padding: 1, relu: true, ...P.bn(`${p}.1.1`, D) });
    return conv2d(g, 'conv2', b, { weight: P.get(`${p}.2.0.weight`, [cout, D, 3, 3]), outChannels: cout, kernel: 3, padding: 1, ...P.bn(`${p}.4`, cout) });
  });
}

/** Task attention: pool, six 1x1 convs on the 3D vector, softmax over tasks, weighted sum into `out`. */
function tam(g: Graph, P: Params, p: string, feats: Tensor[], D: number, T: number, out: Tensor): void {
  const [n] = feats[0].shape;
  const vec = g.tensor('pooled', [n, 1, 1, 3 * D]);
  feats.forEach((f, t) => globalAvgPool(g, `pool${t}`, f, { out: vec, interleave: { count: 3, index: t } }));
  const widths = [3 * D, 3 * D, T, T, T, 3 * D];
  const layers: DenseLayer[] = [];
  for (let j = 0; j < 5; j++)
    layers.push({ weight: P.get(`${p}.convs.${j}.0.weight`, [widths[j + 1], widths[j], 1, 1]), relu: true, ...P.bn(`${p}.convs.${j}.1`, widths[j + 1]) });
  layers.push({ weight: P.get(`${p}.convs.5.0.weight`, [3 * D, 3 * D, 1, 1]) });
  const logits = denseChain(g, 'mlp', vec, layers);
  taskAttention(g, 'fuse', logits, [feats[0], feats[1], feats[2]], { out });
}
