/**
 * Runs an imported TFLite model on an Engine: inputs and outputs as dense float32 in TFLite's
 * own layout (row-major, NHWC), keyed by tensor name.
 */
import { ShapeError, packNHWC, unpackNHWC, type Engine, type Executable, type Profile, type ProfileOptions } from '../engine/index.ts';
import type { TfliteModel } from '../weights/tflite.ts';
import { importTflite, type ImportedModel, type ImportOptions, type TfliteIo } from './tflite.ts';
import { quoteUntrusted } from '../util/untrusted.ts';

const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export class TfliteRunner {
  readonly engine: Engine;
  readonly imported: ImportedModel;
  readonly executable: Executable;

  private constructor(engine: Engine, imported: ImportedModel, executable: Executable) {
    this.engine = engine;
    this.imported = imported;
    this.executable = executable;
  }

  static async create(engine: Engine, model: TfliteModel, o: ImportOptions = {}): Promise<TfliteRunner> {
    const imported = importTflite(model, o);
    return new TfliteRunner(engine, imported, await engine.compile(imported.graph));
  }

  get inputs(): readonly TfliteIo[] {
    return this.imported.inputs;
  }

  get outputs(): readonly TfliteIo[] {
    return this.imported.outputs;
  }

  get dispatches(): number {
    return this.executable.dispatchCount;
  }

  /** Writes every input (all must be given, by TFLite tensor name), runs once, reads every output. */
  async run(inputs: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
    const file = this.imported.file;
    for (const k of Object.keys(inputs))
      if (!this.inputs.some((i) => i.name === k)) throw new ShapeError(`${file}: no input named ${quoteUntrusted(k)} (inputs: ${this.inputs.map((i) => quoteUntrusted(i.name)).join(', ')})`);
    for (const io of this.inputs) {
      const d = inputs[io.name];
      if (!d) throw new ShapeError(`${file}: input ${quoteUntrusted(io.name)} [${io.shape}] was not given`);
      if (!(d instanceof Float32Array)) throw new ShapeError(`${file}: input ${quoteUntrusted(io.name)} must be a Float32Array`);
      if (d.length !== count(io.shape)) throw new ShapeError(`${file}: input ${quoteUntrusted(io.name)} has ${d.length} values, [${io.shape}] needs ${count(io.shape)}`);
      const t = io.parts[0];
      this.executable.write(t, packNHWC(d, t.shape));
    }
    await this.executable.run();
    const data = await readTfliteOutputs(this.executable, this.outputs, this.imported.batch, this.imported.file);
    return Object.fromEntries(this.outputs.map((io, i) => [io.name, data[i]]));
  }

  profile(o?: ProfileOptions): Promise<Profile> {
    return this.executable.profile(o);
  }

  dispose(): void {
    this.engine.release(this.executable);
  }
}

/** Reads a model output: per batch item, each part's dense NHWC data in turn. */
export async function readTfliteOutput(exe: Executable, io: TfliteIo, batch: number, file = 'model'): Promise<Float32Array> {
  return (await readTfliteOutputs(exe, [io], batch, file))[0];
}

/** Reads several model outputs with one read-back (one GPU round trip for all their parts). */
export async function readTfliteOutputs(exe: Executable, ios: readonly TfliteIo[], batch: number, file = 'model'): Promise<Float32Array[]> {
  const parts = ios.flatMap((io) => io.parts);
  const raw = await exe.readMany(parts);
  let next = 0;
  return ios.map((io) => assembleOutput(io, io.parts.map((p) => unpackNHWC(raw[next++], p.shape)), batch, file));
}

function assembleOutput(io: TfliteIo, dense: Float32Array[], batch: number, file: string): Float32Array {
  if (dense.length === 1) return dense[0];
  const result = new Float32Array(count(io.shape));
  let at = 0;
  for (let b = 0; b < batch; b++)
    for (const d of dense) {
      const per = d.length / batch;
      if (at + per > result.length) throw new ShapeError(`${file}: output ${quoteUntrusted(io.name)} parts hold more than [${io.shape}]`);
      result.set(d.subarray(b * per, (b + 1) * per), at);
      at += per;
    }
  if (at !== result.length) throw new ShapeError(`${file}: output ${quoteUntrusted(io.name)} parts hold ${at} values, [${io.shape}] needs ${result.length}`);
  return result;
}
