// Hand-detector conformance: the committed small detector checkpoint (`module.` prefix), converted
// in memory by our converter, run on the engine and compared with the PyTorch reference output;
// then the GPU decode (maxPool2d + peakCompact + CPU finish) against the CPU decode of the same map.
import { Graph, type Engine } from '../../src/engine/index.ts';
import { buildDetectorGraph, decodeDetectionMap, decodeDetections, findPeaks, parsePeakList, type Detection, type DetectorBuildOptions } from '../../src/model/detector.ts';
import { convertCheckpointBytes, loadWeights, readNpy, type DetectorConfig } from '../../src/weights/index.ts';
import { readFixture } from '../fixtures.ts';
import type { KernelCase } from '../kernels/harness.ts';
import { relL2 } from './hiu.cases.ts';

async function npy(name: string): Promise<Float32Array> {
  const a = readNpy(await readFixture(`detector-small/${name}.npy`), name);
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>);
}

function sameDetections(a: Detection[][], b: Detection[][]): string | null {
  if (a.length !== b.length) return `${a.length} images vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return `image ${i}: ${a[i].length} detections vs ${b[i].length}`;
    for (let j = 0; j < a[i].length; j++) {
      const p = a[i][j];
      const q = b[i][j];
      for (const k of ['score', 'row', 'col', 'x0', 'y0', 'x1', 'y1'] as const)
        if (Math.abs(p[k] - q[k]) > 1e-9 * Math.max(1, Math.abs(q[k]))) return `image ${i} detection ${j}: ${k} ${p[k]} vs ${q[k]}`;
    }
  }
  return null;
}

interface Variant {
  batch: number;
  decode?: DetectorBuildOptions['decode'];
  /** Expect the GPU list to overflow (the fallback path). */
  overflow?: boolean;
}

async function run(engine: Engine, v: Variant): Promise<void> {
  const { bytes } = await convertCheckpointBytes(await readFixture('detector-small/module.zip.pth'), 'module.zip.pth', { inputSize: 64 });
  const w = await loadWeights(bytes, { architecture: 'hand-detector' });
  const config = w.config as DetectorConfig;
  const g = new Graph();
  const det = buildDetectorGraph(g, w.tensors, config, { batch: v.batch, decode: v.decode });
  if (!g.nodes.some((n) => n.name === 'detector.backbone.layer2.0.conv1')) throw new Error('layer detector.backbone.layer2.0.conv1 is missing');
  const exe = await engine.compile(g);
  const tag = `detector small, batch ${v.batch}`;
  try {
    const input = await npy('input');
    const ref = await npy('output');
    const batched = new Float32Array(input.length * v.batch);
    for (let i = 0; i < v.batch; i++) batched.set(input, i * input.length);
    exe.writeNCHW(det.input, batched);
    for (const t of g.outputs) exe.fill(t, NaN);
    await exe.run();
    const [n, h, wd, c] = det.output.shape;
    if (h !== 16 || wd !== 16 || c !== 5) throw new Error(`${tag}: output is ${h}x${wd}x${c}, expected 16x16x5`);
    const map = await exe.readNCHW(det.output);
    const per = ref.length;
    for (let i = 0; i < n; i++) {
      const e = relL2(map.subarray(i * per, (i + 1) * per), ref);
      if (!(e <= 1e-4)) throw new Error(`${tag}, image ${i}: relative L2 error ${e.toExponential(2)} > 1e-4`);
    }
    if (!det.peaks) return;
    // GPU peak list == CPU peaks of the same (GPU) map.
    const lists = parsePeakList(await exe.read(det.peaks.list), n, det.peaks.capacity, c);
    for (let i = 0; i < n; i++) {
      const cpu = findPeaks(map.subarray(i * per, i * per + h * wd), h, wd, det.peaks.threshold);
      if (lists[i].found !== cpu.length) throw new Error(`${tag}, image ${i}: GPU found ${lists[i].found} peaks, CPU ${cpu.length}`);
      if (lists[i].overflow !== !!v.overflow) throw new Error(`${tag}, image ${i}: overflow ${lists[i].overflow}, expected ${!!v.overflow}`);
      if (!v.overflow) {
        const key = (p: { row: number; col: number }) => p.row * wd + p.col;
        const a = lists[i].peaks.map(key).sort((x, y) => x - y).join();
        const b = cpu.map(key).sort((x, y) => x - y).join();
        if (a !== b) throw new Error(`${tag}, image ${i}: GPU peaks [${a}] vs CPU [${b}]`);
      }
    }
    const gpu = await decodeDetections(exe, det);
    const cpu = decodeDetectionMap(map, [n, c, h, wd], det.inputSize);
    const diff = sameDetections(gpu, cpu);
    if (diff) throw new Error(`${tag}: GPU decode vs CPU decode: ${diff}`);
    if (!v.overflow && !cpu.some((d) => d.length > 0)) throw new Error(`${tag}: no detection at threshold 0.5: the decode check tests nothing`);
  } finally {
    engine.release(exe);
  }
}

export const detectorCases: KernelCase[] = [
  { name: 'model: hand detector small config, module.zip.pth, f32, matches PyTorch (rel L2 <= 1e-4), GPU decode == CPU decode', run: (e) => run(e, { batch: 1 }) },
  { name: 'model: hand detector small config, batch 2, per-image peak lists', run: (e) => run(e, { batch: 2 }) },
  { name: 'model: hand detector decode falls back to the whole map when the peak list overflows', run: (e) => run(e, { batch: 1, decode: { threshold: -100, capacity: 2 }, overflow: true }) },
];
