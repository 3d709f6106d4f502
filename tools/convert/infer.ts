/**
 * `hiu infer --weights W.safetensors --mano M.safetensors --input <image.png|image.jpg|tensor.npy> --out DIR [--right]`
 *
 * Runs HIU-DMTL and MANO in Node (Dawn) and writes every output as float32 C-order .npy plus
 * result.json. Everything is written to a temporary folder that is renamed into place at the
 * end, so a failure leaves no partial output.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { Engine, Graph } from '../../src/engine/index.ts';
import { buildHandGraph, readHandResult } from '../../src/model/pipeline.ts';
import { imageToInput, type RgbaImage } from '../../src/model/preprocess.ts';
import { loadManoAsset } from '../../src/weights/mano.ts';
import { loadWeights, readNpy, writeNpy, type HiuConfig } from '../../src/weights/index.ts';
import { parseArgs } from './hiu.ts';

export const INFER_USAGE =
  'usage: hiu infer --weights W.safetensors --mano M.safetensors --input <image.png|image.jpg|tensor.npy> --out DIR [--right]';

function fail(msg: string): never {
  throw new Error(msg);
}

export function decodeImage(path: string): RgbaImage {
  const bytes = readFileSync(path);
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    return fail(`input ${path}: cannot decode as ${ext === '.png' ? 'PNG' : 'JPEG'}: ${(e as Error).message}`);
  }
}

/** The network input as NCHW [1, 3, S, S] and its size. */
function readInput(path: string, config: HiuConfig, right: boolean): { data: Float32Array; size: number } {
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
  const img = decodeImage(path);
  return { data: imageToInput(img, config.inputSize, right), size: config.inputSize };
}

export async function runInfer(argv: string[]): Promise<number> {
  const right = argv.includes('--right');
  const { positional, flags } = parseArgs(argv.filter((a) => a !== '--right'), {
    '--weights': 'weights', '--mano': 'mano', '--input': 'input', '--out': 'out', '-o': 'out',
  });
  if (positional.length || !flags.get('weights') || !flags.get('mano') || !flags.get('input') || !flags.get('out')) fail(INFER_USAGE);
  const [wPath, mPath, inPath, outDir] = ['weights', 'mano', 'input', 'out'].map((k) => resolve(flags.get(k)!));
  for (const [what, p] of [['weights', wPath], ['mano', mPath], ['input', inPath]] as const)
    if (!existsSync(p) || !statSync(p).isFile()) fail(`--${what} ${p}: no such file`);
  if (existsSync(outDir) && (!statSync(outDir).isDirectory() || readdirSync(outDir).length))
    fail(`--out ${outDir}: exists and is not an empty folder (refusing to mix results)`);

  const times: Record<string, number> = {};
  const time = async <T>(label: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      times[label] = +(performance.now() - t0).toFixed(1);
    }
  };
  const weights = await time('loadWeights', () => loadWeights(wPath, { architecture: 'hiu-dmtl' }));
  const config = weights.config as HiuConfig;
  const asset = await time('loadMano', () => loadManoAsset(mPath));
  const input = readInput(inPath, config, right);

  const engine = await time('device', () => Engine.create());
  const tmp = join(dirname(outDir), `.${basename(outDir)}.tmp-${process.pid}`);
  try {
    const g = new Graph();
    const h = buildHandGraph(g, weights.tensors, config, asset, { inputSize: input.size });
    const exe = await time('compile', () => engine.compile(g));
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

    mkdirSync(tmp, { recursive: true });
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
    if (existsSync(outDir)) rmSync(outDir, { recursive: true });
    renameSync(tmp, outDir);
    process.stderr.write(`wrote ${outDir}: ${readdirSync(outDir).length} files; run ${times.run} ms\n`);
    // Garbage must not pass for a result: written for inspection, but the exit code says so.
    if (r.nonFinite) process.stderr.write(`hiu infer: the results are not usable: ${r.nonFinite}\n`);
    return r.nonFinite ? 1 : 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    engine.dispose();
  }
}
