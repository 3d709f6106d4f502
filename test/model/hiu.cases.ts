// HIU-DMTL conformance: the committed small-configuration checkpoints, converted by our
// converter, run on the engine and compared with the PyTorch reference's outputs.
import { Graph, unpackNHWC, type Engine, type Tensor } from '../../src/engine/index.ts';
import { buildHiuGraph, type HiuBuildOptions } from '../../src/model/hiu.ts';
import { convertCheckpointBytes, loadWeights, readNpy, type HiuConfig } from '../../src/weights/index.ts';
import { readFixture } from '../fixtures.ts';
import type { KernelCase } from '../kernels/harness.ts';

/** ||a - b|| / ||b|| */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs reference ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

async function npy(name: string): Promise<Float32Array> {
  const a = readNpy(await readFixture(`hiu-small/${name}.npy`), name);
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>);
}

interface Variant {
  file: string;
  dtype: 'f32' | 'f16';
  tol: number;
  /** How the GPU holds the weights (default f32). */
  weightPrecision?: 'f32' | 'f16';
  heads?: HiuBuildOptions['heads'];
}

/** The same weights on a 96x96 input (maps 24x24): any multiple of 32 must work. */
async function runSize96(engine: Engine): Promise<void> {
  const { bytes } = await convertCheckpointBytes(await readFixture('hiu-small/plain.zip.pth'), 'plain.zip.pth', { inputSize: 64 });
  const w = await loadWeights(bytes, { architecture: 'hiu-dmtl' });
  const g = new Graph();
  const net = buildHiuGraph(g, w.tensors, w.config as HiuConfig, { inputSize: 96 });
  const exe = await engine.compile(g);
  try {
    exe.writeNCHW(net.input, await npy('input96'));
    for (const t of g.outputs) exe.fill(t, NaN);
    await exe.run();
    const pairs: [string, Tensor][] = [['heatmaps', net.last.heatmaps], ['pof', net.last.pof], ['mask', net.last.maskLogit], ['coeffs', net.coeffs!]];
    for (const [name, t] of pairs) {
      if (name !== 'coeffs' && t.shape[1] !== 24) throw new Error(`${name}: map is ${t.shape[1]}x${t.shape[2]}, expected 24x24`);
      const e = relL2(await exe.readNCHW(t), await npy(`size96_${name}`));
      if (!(e <= 1e-4)) throw new Error(`96x96 input, ${name}: relative L2 error ${e.toExponential(2)} > 1e-4`);
    }
  } finally {
    engine.release(exe);
  }
}

async function runVariant(engine: Engine, v: Variant): Promise<void> {
  const { bytes } = await convertCheckpointBytes(await readFixture(`hiu-small/${v.file}`), v.file, { dtype: v.dtype, inputSize: 64 });
  const w = await loadWeights(bytes, { architecture: 'hiu-dmtl' });
  const config = w.config as HiuConfig;
  const g = new Graph({ weightPrecision: v.weightPrecision });
  const net = buildHiuGraph(g, w.tensors, config, { heads: v.heads });
  const held = g.constants.filter((c) => c.kind === 'weights' && c.dtype !== (v.weightPrecision ?? 'f32'));
  if (held.length) throw new Error(`${held.length} weight constants (e.g. '${held[0].name}') are not held as ${v.weightPrecision}`);
  const exe = await engine.compile(g);
  try {
    exe.writeNCHW(net.input, await npy('input'));
    const outs: Tensor[] = [...g.outputs];
    for (const t of outs) exe.fill(t, NaN);
    await exe.run();
    const errors: string[] = [];
    const checkOut = async (label: string, t: Tensor, ref: Float32Array, tol = v.tol, nhwc = false) => {
      const got = nhwc ? unpackNHWC(await exe.read(t), t.shape) : await exe.readNCHW(t);
      const e = relL2(got, ref);
      if (!(e <= tol)) errors.push(`${label}: relative L2 error ${e.toExponential(2)} > ${tol}`);
    };
    const K = config.stacks;
    for (let k = 0; k < K; k++) {
      const h = net.stacks[k];
      if (!h) continue;
      await checkOut(`stack${k} heatmaps`, h.heatmaps, await npy(`stack${k}_heatmaps`));
      await checkOut(`stack${k} pof`, h.pof, await npy(`stack${k}_pof`));
      await checkOut(`stack${k} mask`, h.maskLogit, await npy(`stack${k}_mask`));
    }
    await checkOut('coeffs', net.coeffs!, await npy(`stack${K - 1}_coeffs`));
    // Keypoints are [N, 21, 1, 3]: (row, col, max) per map, the reference's [21, 3] order.
    await checkOut('keypoints', net.last.keypoints, await npy('keypoints2d'), v.tol, true);
    const logits = await npy(`stack${K - 1}_mask`);
    await checkOut('mask probability', net.last.maskProb, logits.map((x) => 1 / (1 + Math.exp(-x))));
    if (errors.length) throw new Error(`${v.file} (${v.dtype}): ${errors.join('; ')}`);
  } finally {
    engine.release(exe);
  }
}

export const hiuCases: KernelCase[] = [
  { name: 'model: HIU-DMTL small config, plain.zip.pth, f32, matches PyTorch (rel L2 <= 1e-4)', run: (e) => runVariant(e, { file: 'plain.zip.pth', dtype: 'f32', tol: 1e-4 }) },
  { name: 'model: HIU-DMTL small config, module.wrapped.zip.pth, f32, heads of every stack', run: (e) => runVariant(e, { file: 'module.wrapped.zip.pth', dtype: 'f32', tol: 1e-4, heads: 'all' }) },
  { name: 'model: HIU-DMTL small config on a 96x96 input (maps 24x24) matches PyTorch', run: (e) => runSize96(e) },
  { name: 'model: HIU-DMTL small config, model.legacy.pth, f16 weights (rel L2 <= 5e-3; measured <= 1.4e-3)', run: (e) => runVariant(e, { file: 'model.legacy.pth', dtype: 'f16', tol: 5e-3 }) },
  {
    name: 'model: HIU-DMTL small config, model.legacy.pth, f16 weights held as f16 on the GPU (rel L2 <= 5e-3; measured <= 1.4e-3)',
    run: (e) => runVariant(e, { file: 'model.legacy.pth', dtype: 'f16', tol: 5e-3, weightPrecision: 'f16' }),
  },
  {
    name: 'model: HIU-DMTL small config, plain.zip.pth, f32 file held as f16 on the GPU (rel L2 <= 5e-3; measured <= 7.8e-4)',
    run: (e) => runVariant(e, { file: 'plain.zip.pth', dtype: 'f32', tol: 5e-3, weightPrecision: 'f16' }),
  },
];
