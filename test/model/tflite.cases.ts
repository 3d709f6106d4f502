// MediaPipe's four hand models through our TFLite reader and importer, compared with the
// committed outputs of Google's own TFLite runtime (test/fixtures/tflite/README.md) on a seeded
// random input and a real photo. Relative L2 <= 1e-4 on every output, in both runtimes.
import type { Engine } from '../../src/engine/index.ts';
import { TfliteRunner } from '../../src/import/index.ts';
import { readNpy } from '../../src/weights/npy.ts';
import { readTflite } from '../../src/weights/tflite.ts';
import { readFixture } from '../fixtures.ts';
import type { KernelCase } from '../kernels/harness.ts';
import { relL2 } from './hiu.cases.ts';

export const TFLITE_MODELS = ['palm_detection_full', 'palm_detection_lite', 'hand_landmark_full', 'hand_landmark_lite'] as const;
export const TFLITE_INPUTS = ['random', 'photo'] as const;
const TOL = 1e-4;

async function npy(path: string) {
  return readNpy(await readFixture(path), path);
}

async function runModel(engine: Engine, name: string): Promise<void> {
  const model = readTflite(await readFixture(`models/${name}.tflite`), `${name}.tflite`);
  const runner = await TfliteRunner.create(engine, model);
  try {
    const errors: string[] = [];
    for (const input of TFLITE_INPUTS) {
      const dir = `tflite/${name}/${input}`;
      const x = await npy(`${dir}/input.npy`);
      const data = Float32Array.from(x.data as ArrayLike<number>, (v) => v / 255);
      const out = await runner.run({ [runner.inputs[0].name]: data });
      for (const io of runner.outputs) {
        const ref = await npy(`${dir}/${io.name}.npy`);
        if (ref.shape.join() !== io.shape.join()) errors.push(`${input} ${io.name}: golden [${ref.shape}] vs ours [${io.shape}]`);
        const got = out[io.name];
        if (got.some((v) => !Number.isFinite(v))) errors.push(`${input} ${io.name}: non-finite values`);
        const e = relL2(got, ref.data as ArrayLike<number>);
        if (!(e <= TOL)) errors.push(`${input} ${io.name}: rel L2 ${e.toExponential(2)} > ${TOL}`);
      }
    }
    if (errors.length) throw new Error(`MISMATCH ${name}: ${errors.join('; ')}`);
  } finally {
    runner.dispose();
  }
}

/** Both inputs as one batch of 2 (the hand pipeline runs every hand's crop in one pass). */
async function runBatch2(engine: Engine, name: string): Promise<void> {
  const model = readTflite(await readFixture(`models/${name}.tflite`), `${name}.tflite`);
  const runner = await TfliteRunner.create(engine, model, { batch: 2 });
  try {
    const xs = await Promise.all(TFLITE_INPUTS.map((i) => npy(`tflite/${name}/${i}/input.npy`)));
    const per = xs[0].data.length;
    const data = new Float32Array(2 * per);
    xs.forEach((x, b) => data.set(Float32Array.from(x.data, (v) => v / 255), b * per));
    const out = await runner.run({ [runner.inputs[0].name]: data });
    const errors: string[] = [];
    for (const io of runner.outputs) {
      if (io.shape[0] !== 2) errors.push(`${io.name}: shape [${io.shape}] has no batch of 2`);
      const half = out[io.name].length / 2;
      for (const [b, input] of TFLITE_INPUTS.entries()) {
        const ref = (await npy(`tflite/${name}/${input}/${io.name}.npy`)).data;
        const e = relL2(out[io.name].subarray(b * half, (b + 1) * half), ref);
        if (!(e <= TOL)) errors.push(`batch item ${b} (${input}) ${io.name}: rel L2 ${e.toExponential(2)} > ${TOL}`);
      }
    }
    if (errors.length) throw new Error(`MISMATCH ${name} batch 2: ${errors.join('; ')}`);
  } finally {
    runner.dispose();
  }
}

export const tfliteCases: KernelCase[] = [
  ...TFLITE_MODELS.map((name) => ({
    name: `tflite ${name} vs TFLite runtime (random + photo)`,
    run: (engine: Engine) => runModel(engine, name),
  })),
  { name: 'tflite hand_landmark_lite batch 2 = the two single runs', run: (engine: Engine) => runBatch2(engine, 'hand_landmark_lite') },
];
