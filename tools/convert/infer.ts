/**
 * `hiu infer --weights W.safetensors --mano M.safetensors --input <image.png|image.jpg|tensor.npy> --out DIR [--right]`
 *
 * Runs HIU-DMTL and MANO in Node (Dawn) and writes every output as float32 C-order .npy plus
 * result.json. Everything is written to a temporary folder that is renamed into place at the
 * end, so a failure leaves no partial output.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Engine, Graph } from '../../src/engine/index.ts';
import { buildHandGraph, readHandResult } from '../../src/model/pipeline.ts';
import { imageToInput, type RgbaImage } from '../../src/model/preprocess.ts';
import { networkHandProblem } from '../../src/model/manoAsset.ts';
import { loadManoAsset, MAX_MANO_FILE_BYTES } from '../../src/weights/mano.ts';
import { loadWeights, readNpy, writeNpy, type HiuConfig } from '../../src/weights/index.ts';
import { parseArgs } from './hiu.ts';
import { decodeImage } from './image.ts';
import { checkInputFile, checkOutputPath, TempOutput } from './paths.ts';

export const INFER_USAGE =
  'usage: hiu infer --weights W.safetensors --mano M.safetensors --input <image.png|image.jpg|tensor.npy> --out DIR [--right]';

function fail(msg: string): never {
  throw new Error(msg);
}

export { decodeImage } from './image.ts';

/**
 * The input, read and checked before anything else is loaded: an image (its header against the
 * pixel budget, then decoded) or a .npy network input [1, 3, S, S] of finite values.
 */
function readInput(path: string, right: boolean): { image: RgbaImage } | { data: Float32Array; size: number } {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') {
    const a = readNpy(new Uint8Array(readFileSync(path)), path);
    const s = a.shape;
    if (s.length !== 4 || s[0] !== 1 || s[1] !== 3 || s[2] !== s[3] || s[2] % 32 !== 0 || s[2] < 32)
      fail(`input ${path}: shape [${s.join(', ')}] is not the network input [1, 3, S, S] with S a multiple of 32`);
    const data = Float32Array.from(a.data as ArrayLike<number>);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`input ${path}: value ${data[bad]} at flat index ${bad} is not finite`);
    if (right) {
      // Mirror the already-normalised tensor the way an image would be.
      for (let r = 0; r < 3 * s[2]; r++) data.subarray(r * s[3], (r + 1) * s[3]).reverse();
    }
    return { data, size: s[2] };
  }
  if (ext !== '.png' && ext !== '.jpg' && ext !== '.jpeg') fail(`input ${path}: expected .png, .jpg or .npy`);
  return { image: decodeImage(path) };
}

export async function runInfer(argv: string[]): Promise<number> {
  const right = argv.includes('--right');
  const { positional, flags } = parseArgs(argv.filter((a) => a !== '--right'), {
    '--weights': 'weights', '--mano': 'mano', '--input': 'input', '--out': 'out', '-o': 'out',
  });
  if (positional.length || !flags.get('weights') || !flags.get('mano') || !flags.get('input') || !flags.get('out')) fail(INFER_USAGE);
  // Every check before any loading or compiling: files, output location, input, hand asset.
  const wPath = checkInputFile(flags.get('weights')!, '--weights');
  const mPath = checkInputFile(flags.get('mano')!, '--mano', MAX_MANO_FILE_BYTES);
  const inPath = checkInputFile(flags.get('input')!, '--input');
  const outDir = checkOutputPath(flags.get('out')!, '--out', 'folder');
  const given = readInput(inPath, right);

  const times: Record<string, number> = {};
  const time = async <T>(label: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      times[label] = +(performance.now() - t0).toFixed(1);
    }
  };
  const asset = await time('loadMano', () => loadManoAsset(mPath));
  const sideProblem = networkHandProblem(asset);
  if (sideProblem) fail(`--mano ${mPath}: ${sideProblem}`);

  const out = TempOutput.create(outDir, 'folder', '--out'); // removed on failure and on SIGINT/SIGTERM
  const tmp = out.tmp;
  let engine: Engine | undefined;
  try {
    const weights = await time('loadWeights', () => loadWeights(wPath, { architecture: 'hiu-dmtl' }));
    const config = weights.config as HiuConfig;
    const input = 'image' in given ? { data: imageToInput(given.image, config.inputSize, right), size: config.inputSize } : given;
    engine = await time('device', () => Engine.create());
    const g = new Graph();
    const h = buildHandGraph(g, weights.tensors, config, asset, { inputSize: input.size });
    const exe = await time('compile', () => engine!.compile(g));
    exe.writeNCHW(h.net.input, input.data);
    await time('firstRun', async () => {
      await exe.run();
      await exe.read(h.net.last.keypoints);
    });
    await time('run', async () => {
      await exe.run();
      await exe.read(h.net.last.keypoints);
    });
    const r = await time('readback', () => readHandResult(exe, h, right));

    const m = r.mapSize;
    const save = (name: string, data: Float32Array, shape: number[]) => writeFileSync(join(tmp, `${name}.npy`), writeNpy(data, shape));
    save('heatmaps', r.heatmaps, [1, r.heatmaps.length / (m * m), m, m]);
    save('pof', r.pof, [1, r.pof.length / (m * m), m, m]);
    save('mask_logit', r.maskLogit, [1, 1, m, m]);
    save('mask_prob', r.maskProb, [1, 1, m, m]);
    save('keypoints2d', Float32Array.from(r.keypoints.flatMap((k) => [k.row, k.col, k.peak])), [r.keypoints.length, 3]);
    save('beta', r.beta, [10]);
    save('pose', r.pose, [48]);
    save('camera', r.camera, [3]);
    if (r.vertices) save('vertices', r.vertices, [r.vertices.length / 3, 3]);
    if (r.joints3d) save('joints3d', r.joints3d, [21, 3]);
    if (r.joints2d) save('joints2d', r.joints2d, [21, 2]);
    const result = {
      input: inPath, hand: right ? 'right' : 'left', inputSize: input.size, mapSize: m,
      adapter: engine.ctx.adapterInfo,
      keypoints: r.keypoints,
      camera: { s: r.camera[0], tx: r.camera[1], ty: r.camera[2] },
      joints2d: r.joints2d ? Array.from({ length: 21 }, (_, i) => [r.joints2d![2 * i], r.joints2d![2 * i + 1]]) : null,
      timingsMs: times,
      dispatches: exe.dispatchCount,
      plannedActivationBytes: exe.plan.plannedBytes,
      nonFinite: r.nonFinite,
    };
    writeFileSync(join(tmp, 'result.json'), JSON.stringify(result, null, 1) + '\n');
    out.commit();
    process.stderr.write(`wrote ${outDir}: ${readdirSync(outDir).length} files; run ${times.run} ms\n`);
    // Garbage must not pass for a result: written for inspection, but the exit code says so.
    if (r.nonFinite) process.stderr.write(`hiu infer: the results are not usable: ${r.nonFinite}\n`);
    return r.nonFinite ? 1 : 0;
  } finally {
    out.discard(); // a no-op after commit; never throws, so dispose always runs
    engine?.dispose();
  }
}
