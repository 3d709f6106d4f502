// Property test over the network page's configuration space: a dozen random HIU-DMTL
// configurations (tools/reference/make_config_fixtures.py: odd widths, identity and AvgPool + BN
// shortcuts on them, one stack, one block per stage, ...), each checkpoint converted by our
// converter, run on the engine, every output compared with PyTorch's. Runs in both runtimes.
import { Graph, unpackNHWC, type Engine, type Tensor } from '../../src/engine/index.ts';
import { buildHiuGraph } from '../../src/model/hiu.ts';
import { convertCheckpointBytes, loadWeights, readNpy, type HiuConfig } from '../../src/weights/index.ts';
import { readFixture } from '../fixtures.ts';
import type { KernelCase } from '../kernels/harness.ts';
import { relL2 } from './hiu.cases.ts';

const DIR = 'hiu-configs';
/** Folders the generator writes (its default --count); a case below checks index.json agrees. */
const NAMES = Array.from({ length: 12 }, (_, i) => String(i).padStart(2, '0'));
/** The bound the other HIU-DMTL conformance cases use for f32 weights. */
const TOL = 1e-4;

const text = async (path: string) => new TextDecoder().decode(await readFixture(path));

async function npy(folder: string, file: string): Promise<Float32Array> {
  const a = readNpy(await readFixture(`${folder}/${file}.npy`), file);
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>);
}

/**
 * Runs one generated folder (a fixture path, e.g. `hiu-configs/00`) on `engine` and compares every
 * output with its goldens; throws listing what differs. tools/reference/check_configs.ts reuses it.
 */
export async function runHiuConfig(engine: Engine, folder: string): Promise<void> {
  const cfg = JSON.parse(await text(`${folder}/config.json`)) as { input_size: number };
  const file = `${folder}/model.pth`;
  const { bytes } = await convertCheckpointBytes(await readFixture(file), file, { inputSize: cfg.input_size });
  const w = await loadWeights(bytes, { architecture: 'hiu-dmtl' });
  const g = new Graph();
  const net = buildHiuGraph(g, w.tensors, w.config as HiuConfig);
  const exe = await engine.compile(g);
  try {
    // The input is 8-bit BGR; the network sees x / 127.5 - 1, as the reference computed it.
    exe.writeNCHW(net.input, (await npy(folder, 'input')).map((v) => v / 127.5 - 1));
    for (const t of g.outputs) exe.fill(t, NaN);
    await exe.run();
    const errors: string[] = [];
    const check = async (label: string, t: Tensor, ref: Float32Array, nhwc = false) => {
      const got = nhwc ? unpackNHWC(await exe.read(t), t.shape) : await exe.readNCHW(t);
      const e = relL2(got, ref);
      if (!(e <= TOL)) errors.push(`${label}: relative L2 error ${e.toExponential(2)} > ${TOL}`);
    };
    await check('heatmaps', net.last.heatmaps, await npy(folder, 'heatmaps'));
    await check('pof', net.last.pof, await npy(folder, 'pof'));
    const logits = await npy(folder, 'mask');
    await check('mask logit', net.last.maskLogit, logits);
    await check('mask probability', net.last.maskProb, logits.map((x) => 1 / (1 + Math.exp(-x))));
    await check('coeffs', net.coeffs!, await npy(folder, 'coeffs'));
    await check('keypoints', net.last.keypoints, await npy(folder, 'keypoints2d'), true);
    if (errors.length) throw new Error(`${file} (${JSON.stringify(cfg)}): ${errors.join('; ')}`);
  } finally {
    engine.release(exe);
  }
}

export const hiuConfigCases: KernelCase[] = [
  {
    name: `model: random HIU-DMTL configs, ${DIR}/index.json lists the ${NAMES.length} folders the cases run`,
    run: async () => {
      const listed = JSON.parse(await text(`${DIR}/index.json`)) as string[];
      if (listed.join() !== NAMES.join()) throw new Error(`${DIR}/index.json lists [${listed}], the cases run [${NAMES}]`);
    },
  },
  ...NAMES.map((name) => ({
    name: `model: random HIU-DMTL config ${name} matches PyTorch (rel L2 <= ${TOL})`,
    run: (e: Engine) => runHiuConfig(e, `${DIR}/${name}`),
  })),
];
