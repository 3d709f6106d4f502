/**
 * Golden outputs for MediaPipe's four hand models (palm_detection_full/lite, hand_landmark_full/lite)
 * from an implementation that is not ours: Google's TFLite interpreter compiled to WebAssembly
 * (@tensorflow/tfjs-tflite 0.0.1-alpha.10), run in headless Chromium. Writes, under
 * test/fixtures/tflite/:
 *
 *   <model>/<input>/input.npy        uint8 NHWC [1,H,W,3]; the model input is float32(u8 / 255)
 *   <model>/<input>/<tensor>.npy     float32, named after the TFLite output tensor (Identity, ...)
 *   manifest.json                    runtime, inputs, shapes, sha256 of every file, sanity numbers
 *
 * for the inputs `random` (seeded uint8 noise) and `photo` (fingerpose's nocurl.jpg: a square crop
 * of the hand resized to 224 for the landmark models, the whole photo letterboxed to 192 for the
 * palm detectors). Everything is deterministic: two runs write identical bytes.
 *
 *   npx tsx tools/reference/tflite_goldens.ts            regenerate the fixtures
 *   npx tsx tools/reference/tflite_goldens.ts --verify   regenerate in memory, compare with the
 *                                                        committed files byte for byte (exit 1 on a difference)
 *   --out DIR      write somewhere else;   --variant simd|plain   pick the wasm build (default simd)
 *
 * The page (tools/reference/tflite_goldens.html) and every file it loads come from a node:http
 * server on 127.0.0.1 started here; puppeteer aborts every other request (both in
 * tools/reference/offlinePage.ts). Vite (the server of test/browser/chromium.ts) is not used
 * because it rewrites the UMD/emscripten scripts; the Chromium binary and flags are the ones
 * test/browser/chromium.ts uses.
 *
 * How the interpreter runs: numThreads 1, enableProfiling false, no cross-origin isolation (so no
 * SharedArrayBuffer and no threaded build). The float32 graph is delegated to XNNPACK, which the
 * tfjs-tflite API cannot turn off; `--variant` chooses between its wasm SIMD build (what Chromium
 * picks by itself, the committed goldens) and its scalar build. Both are run every time and their
 * relative L2 difference is printed and recorded in the manifest as the runtime's own spread.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import type { Browser } from 'puppeteer-core';
import { readNpy, writeNpy } from '../../src/weights/npy.ts';
import { makeRng } from '../../test/reference/cpu.ts';
import { ensureMediapipeModels, MEDIAPIPE_SHA256, MODEL_DIR, type MediapipeModelName } from '../models/mediapipe.ts';
import { openOfflinePage, serveLocal, type LocalServer, type Reply } from './offlinePage.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_OUT = join(ROOT, 'test/fixtures/tflite');
const TFJS = join(ROOT, 'node_modules/@tensorflow');
const WASM_DIR = join(TFJS, 'tfjs-tflite/wasm');

/** Seed of the `random` inputs (mulberry32, test/reference/cpu.ts makeRng); u8 = floor(256 * rng()). */
export const RANDOM_SEED = 0x7f11e8;
/** The photo: fingerpose 0.1.0 (MIT), 480x640, a hand pointing up with the index finger, on a plain wall. */
export const PHOTO = 'nocurl.jpg';
/** Square crop of the hand (source pixels) for the 224x224 landmark input. */
export const PHOTO_CROP = { x0: 48, y0: 80, size: 432 } as const;

type InputName = 'random' | 'photo';
const INPUTS: readonly InputName[] = ['random', 'photo'];

interface ModelSpec {
  name: MediapipeModelName;
  size: number;
  outputs: Record<string, number[]>;
}
const LANDMARK_OUTPUTS = { Identity: [1, 63], Identity_1: [1, 1], Identity_2: [1, 1], Identity_3: [1, 63] };
const PALM_OUTPUTS = { Identity: [1, 2016, 18], Identity_1: [1, 2016, 1] };
export const MODELS: readonly ModelSpec[] = [
  { name: 'palm_detection_full', size: 192, outputs: PALM_OUTPUTS },
  { name: 'palm_detection_lite', size: 192, outputs: PALM_OUTPUTS },
  { name: 'hand_landmark_full', size: 224, outputs: LANDMARK_OUTPUTS },
  { name: 'hand_landmark_lite', size: 224, outputs: LANDMARK_OUTPUTS },
];

type Variant = 'simd' | 'plain';
/** The emscripten loader each variant is served as, whatever file name tfjs-tflite asks for. */
const VARIANT_JS: Record<Variant, string> = { simd: 'tflite_web_api_cc_simd.js', plain: 'tflite_web_api_cc.js' };
const VARIANT_WASM: Record<Variant, string> = { simd: 'tflite_web_api_cc_simd.wasm', plain: 'tflite_web_api_cc.wasm' };

// ---------------------------------------------------------------------------------------------
// Inputs

interface Rgb {
  width: number;
  height: number;
  /** RGB, row-major, 3 bytes a pixel. */
  data: Uint8Array;
}

export function decodePhoto(): Rgb {
  const bytes = readFileSync(join(ROOT, 'node_modules/fingerpose/assets', PHOTO));
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  const data = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < img.width * img.height; i++, j += 4) {
    data[3 * i] = img.data[j];
    data[3 * i + 1] = img.data[j + 1];
    data[3 * i + 2] = img.data[j + 2];
  }
  return { width: img.width, height: img.height, data };
}

/**
 * Bilinear resize of the source rectangle (x0, y0, w, h) to dw x dh, half-pixel centres (as
 * TF's resize_bilinear with half_pixel_centers, OpenCV INTER_LINEAR): the source coordinate of
 * destination pixel x is x0 + (x + 0.5) * w / dw - 0.5, clamped to the image; rounded to nearest.
 */
export function resizeBilinear(src: Rgb, x0: number, y0: number, w: number, h: number, dw: number, dh: number): Uint8Array {
  const out = new Uint8Array(dw * dh * 3);
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  for (let y = 0; y < dh; y++) {
    const sy = clamp(y0 + ((y + 0.5) * h) / dh - 0.5, src.height - 1);
    const ya = Math.floor(sy);
    const yb = Math.min(ya + 1, src.height - 1);
    const fy = sy - ya;
    for (let x = 0; x < dw; x++) {
      const sx = clamp(x0 + ((x + 0.5) * w) / dw - 0.5, src.width - 1);
      const xa = Math.floor(sx);
      const xb = Math.min(xa + 1, src.width - 1);
      const fx = sx - xa;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => src.data[(yy * src.width + xx) * 3 + c];
        const top = p(ya, xa) + (p(ya, xb) - p(ya, xa)) * fx;
        const bot = p(yb, xa) + (p(yb, xb) - p(yb, xa)) * fx;
        out[(y * dw + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(top + (bot - top) * fy)));
      }
    }
  }
  return out;
}

export interface Letterbox {
  /** Resized image size inside the square and its top-left offset (zero padding elsewhere). */
  width: number;
  height: number;
  left: number;
  top: number;
  scale: number;
}

export function letterboxParams(srcW: number, srcH: number, size: number): Letterbox {
  const scale = Math.min(size / srcW, size / srcH);
  const width = Math.round(srcW * scale);
  const height = Math.round(srcH * scale);
  return { width, height, left: Math.floor((size - width) / 2), top: Math.floor((size - height) / 2), scale };
}

export function makeInputs(size: number): Record<InputName, Uint8Array> {
  const rng = makeRng(RANDOM_SEED);
  const random = new Uint8Array(size * size * 3);
  for (let i = 0; i < random.length; i++) random[i] = Math.floor(rng() * 256);
  const img = decodePhoto();
  let photo: Uint8Array;
  if (size === 224) {
    photo = resizeBilinear(img, PHOTO_CROP.x0, PHOTO_CROP.y0, PHOTO_CROP.size, PHOTO_CROP.size, size, size);
  } else {
    const lb = letterboxParams(img.width, img.height, size);
    const inner = resizeBilinear(img, 0, 0, img.width, img.height, lb.width, lb.height);
    photo = new Uint8Array(size * size * 3);
    for (let y = 0; y < lb.height; y++) photo.set(inner.subarray(y * lb.width * 3, (y + 1) * lb.width * 3), ((y + lb.top) * size + lb.left) * 3);
  }
  return { random, photo };
}

// ---------------------------------------------------------------------------------------------
// Server and browser

function serve(inputs: Map<number, Record<InputName, Uint8Array>>): Promise<LocalServer> {
  const files: Record<string, string> = {
    '/': join(ROOT, 'tools/reference/tflite_goldens.html'),
    '/lib/tf-core.js': join(TFJS, 'tfjs-core/dist/tf-core.js'),
    '/lib/tf-backend-cpu.js': join(TFJS, 'tfjs-backend-cpu/dist/tf-backend-cpu.js'),
    '/lib/tf-tflite.js': join(TFJS, 'tfjs-tflite/dist/tf-tflite.js'),
  };
  const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', wasm: 'application/wasm' };
  return serveLocal((path): Reply | undefined => {
    let m: RegExpExecArray | null;
    if (files[path]) return { body: readFileSync(files[path]), type: types[path === '/' ? 'html' : 'js'], what: files[path].slice(ROOT.length + 1) };
    if ((m = /^\/wasm-(simd|plain)\/(tflite_web_api_cc[a-z_]*)\.(js|wasm)$/.exec(path))) {
      const variant = m[1] as Variant;
      const file = m[3] === 'js' ? VARIANT_JS[variant] : VARIANT_WASM[variant];
      if (m[3] === 'wasm' && `${m[2]}.wasm` !== file) return { status: 404, what: `404 (the ${variant} loader asked for another wasm)` };
      return { body: readFileSync(join(WASM_DIR, file)), type: types[m[3]], what: `wasm/${file}` };
    }
    if ((m = /^\/models\/([a-z_]+)\.tflite$/.exec(path)) && m[1] in MEDIAPIPE_SHA256)
      return { body: readFileSync(join(MODEL_DIR, `${m[1]}.tflite`)), type: 'application/octet-stream', what: `models/${m[1]}.tflite` };
    if ((m = /^\/inputs\/(\d+)\/(random|photo)$/.exec(path)) && inputs.has(Number(m[1])))
      return { body: inputs.get(Number(m[1]))![m[2] as InputName], type: 'application/octet-stream', what: `input ${m[1]} ${m[2]}` };
    return undefined;
  });
}

async function launch(): Promise<{ browser: Browser; close(): Promise<void> }> {
  // Imported here so that tests can import the input definitions without a browser stack.
  const { launchChromium } = await import('../../test/browser/chromium.ts');
  return launchChromium();
}

interface PageTensor {
  shape: number[];
  dtype: string;
  base64: string;
}
interface PageResult {
  features: { simd: boolean; multiThreading: boolean };
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  hardwareConcurrency: number;
  modelInputs: { name: string; shape: number[]; dtype: string }[];
  modelOutputs: { name: string; shape: number[]; dtype: string }[];
  runs: Record<string, Record<string, PageTensor>>;
  repeatable: boolean;
  profile: { nodeTypes: Record<string, number>; sameAsUnprofiled: boolean } | null;
}

interface VariantRun {
  variant: Variant;
  results: Map<MediapipeModelName, PageResult>;
  served: string[];
  blocked: string[];
  console: string[];
}

async function runVariant(browser: Browser, origin: string, servedLog: string[], variant: Variant): Promise<VariantRun> {
  const { page, blocked, console: consoleLines } = await openOfflinePage(browser, origin);
  const logStart = servedLog.length;
  await page.goto(`${origin}/`);
  await page.waitForFunction('window.goldenPageReady === true', { timeout: 60_000 });
  const results = new Map<MediapipeModelName, PageResult>();
  for (const spec of MODELS) {
    const cfg = {
      wasmPath: `/wasm-${variant}/`,
      model: `/models/${spec.name}.tflite`,
      numThreads: 1,
      profile: true,
      inputs: INPUTS.map((name) => ({ name, url: `/inputs/${spec.size}/${name}`, shape: [1, spec.size, spec.size, 3] })),
    };
    try {
      results.set(spec.name, (await page.evaluate(`window.runGolden(${JSON.stringify(cfg)})`)) as PageResult);
    } catch (e) {
      throw new Error(`${spec.name} (${variant}): ${String(e)}\npage console:\n${consoleLines.join('\n')}`);
    }
  }
  await page.close();
  return { variant, results, served: servedLog.slice(logStart), blocked, console: consoleLines };
}

// ---------------------------------------------------------------------------------------------
// Checks and numbers

const f32 = (t: PageTensor) => {
  const b = Buffer.from(t.base64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/**
 * Centres of the palm detectors' 2016 anchors in [0,1] (MediaPipe's SSD anchors for 192x192:
 * strides 8, 16, 16, 16 with 2 anchors per layer and position, fixed size), in output order.
 */
export function palmAnchors(size = 192): [number, number][] {
  const strides = [8, 16, 16, 16];
  const out: [number, number][] = [];
  for (let l = 0; l < strides.length; ) {
    let r = l;
    while (r < strides.length && strides[r] === strides[l]) r++;
    const g = Math.ceil(size / strides[l]);
    for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) for (let a = 0; a < 2 * (r - l); a++) out.push([(x + 0.5) / g, (y + 0.5) / g]);
    l = r;
  }
  return out;
}

/** The box of one anchor, [cx, cy, w, h] in input pixels (regressors are pixel offsets). */
export function palmBox(reg: Float32Array, anchor: number, size = 192): [number, number, number, number] {
  const [ax, ay] = palmAnchors(size)[anchor];
  const r = reg.subarray(18 * anchor, 18 * anchor + 4);
  return [ax * size + r[0], ay * size + r[1], r[2], r[3]];
}

function summary(model: MediapipeModelName, outs: Record<string, Float32Array>): Record<string, number> {
  if (model.startsWith('palm')) {
    const s = outs.Identity_1;
    let max = -Infinity;
    let arg = -1;
    let above = 0;
    for (let i = 0; i < s.length; i++) {
      if (s[i] > max) (max = s[i]), (arg = i);
      if (sigmoid(s[i]) > 0.5) above++;
    }
    const [cx, cy, w, h] = palmBox(outs.Identity, arg);
    return { maxScoreLogit: max, maxScoreSigmoid: sigmoid(max), argmaxAnchor: arg, anchorsAboveHalf: above, bestCx: cx, bestCy: cy, bestW: w, bestH: h };
  }
  // Identity_1 (hand presence) and Identity_2 (handedness) end in LOGISTIC inside the landmark
  // models: they are probabilities already. Identity is 21 x (x, y, z) in input pixels.
  let top = 0;
  for (let k = 1; k < 21; k++) if (outs.Identity[3 * k + 1] < outs.Identity[3 * top + 1]) top = k;
  return { presence: outs.Identity_1[0], handedness: outs.Identity_2[0], wristX: outs.Identity[0], wristY: outs.Identity[1], topmostLandmark: top };
}

const round = (v: number) => Number(v.toPrecision(7));

// ---------------------------------------------------------------------------------------------

function packageVersion(dir: string): string {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', dir, 'package.json'), 'utf8')).version;
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const verify = args.includes('--verify');
  const out = resolve(opt('--out') ?? DEFAULT_OUT);
  const primary = (opt('--variant') ?? 'simd') as Variant;
  if (!(primary in VARIANT_JS)) throw new Error(`--variant ${primary}: want simd or plain`);
  const other: Variant = primary === 'simd' ? 'plain' : 'simd';

  ensureMediapipeModels(MODEL_DIR);
  const inputs = new Map<number, Record<InputName, Uint8Array>>([224, 192].map((s) => [s, makeInputs(s)]));
  const server = await serve(inputs);
  const { browser, close } = await launch();
  let runs: VariantRun[];
  let chromium: string;
  try {
    chromium = await browser.version();
    runs = [await runVariant(browser, server.origin, server.log, primary), await runVariant(browser, server.origin, server.log, other)];
  } finally {
    await close();
    await server.close();
  }

  // The runtime must be what we asked for, and nothing may have left 127.0.0.1.
  for (const r of runs) {
    if (r.blocked.length) throw new Error(`${r.variant}: the page tried to reach ${r.blocked.join(', ')}`);
    const wasm = r.served.filter((l) => l.includes('wasm/'));
    const want = [`wasm/${VARIANT_JS[r.variant]}`, `wasm/${VARIANT_WASM[r.variant]}`];
    if (!want.every((w) => wasm.some((l) => l.endsWith(w))) || wasm.some((l) => !want.some((w) => l.endsWith(w))))
      throw new Error(`${r.variant}: unexpected wasm files served: ${wasm.join('; ')}`);
    for (const [name, res] of r.results) {
      if (!res.repeatable) throw new Error(`${name} (${r.variant}): two inferences on the same input differ`);
      if (res.features.multiThreading || res.sharedArrayBuffer) throw new Error(`${name}: multi-threaded wasm is available; the page must not be cross-origin isolated`);
      if (res.profile && !res.profile.sameAsUnprofiled) throw new Error(`${name} (${r.variant}): the profiled run gave other numbers`);
    }
    const any = [...r.results.values()][0];
    console.log(`${r.variant}: served ${[...new Set(wasm.map((l) => l.split(' -> ')[1]))].join(', ')}; wasm features ${JSON.stringify(any.features)}, ` +
      `crossOriginIsolated ${any.crossOriginIsolated}, ${r.blocked.length} requests blocked, executed ${JSON.stringify(any.profile?.nodeTypes)}`);
  }

  const files = new Map<string, Uint8Array>();
  const manifestModels: Record<string, unknown> = {};
  const [p, q] = runs;
  for (const spec of MODELS) {
    const res = p.results.get(spec.name)!;
    const alt = q.results.get(spec.name)!;
    const inShape = [1, spec.size, spec.size, 3];
    if (res.modelInputs.length !== 1 || res.modelInputs[0].dtype !== 'float32' || res.modelInputs[0].shape.join() !== inShape.join())
      throw new Error(`${spec.name}: model inputs ${JSON.stringify(res.modelInputs)}, want one float32 [${inShape}]`);
    const outNames = res.modelOutputs.map((o) => o.name);
    if (outNames.join() !== Object.keys(spec.outputs).join() || res.modelOutputs.some((o) => o.dtype !== 'float32' || o.shape.join() !== spec.outputs[o.name].join()))
      throw new Error(`${spec.name}: model outputs ${JSON.stringify(res.modelOutputs)}, want ${JSON.stringify(spec.outputs)}`);
    const perInput: Record<string, unknown> = {};
    for (const input of INPUTS) {
      const dir = `${spec.name}/${input}`;
      const inBytes = writeNpy(inputs.get(spec.size)![input], inShape);
      files.set(`${dir}/input.npy`, inBytes);
      const outs: Record<string, Float32Array> = {};
      const spread: Record<string, number> = {};
      const fileShas: Record<string, string> = { 'input.npy': sha(inBytes) };
      for (const name of outNames) {
        const t = res.runs[input][name];
        const data = f32(t);
        if (t.shape.join() !== spec.outputs[name].join()) throw new Error(`${dir}/${name}: shape [${t.shape}]`);
        if (!data.every(Number.isFinite)) throw new Error(`${dir}/${name}: not finite`);
        outs[name] = data;
        spread[name] = Number(relL2(f32(alt.runs[input][name]), data).toExponential(2));
        const bytes = writeNpy(data, t.shape);
        files.set(`${dir}/${name}.npy`, bytes);
        fileShas[`${name}.npy`] = sha(bytes);
      }
      const s = Object.fromEntries(Object.entries(summary(spec.name, outs)).map(([k, v]) => [k, round(v)]));
      perInput[input] = { files: fileShas, summary: s, [`relL2_${q.variant}_vs_${p.variant}`]: spread };
      console.log(`${dir}: ${JSON.stringify(s)}  ${q.variant}-vs-${p.variant} relL2 ${JSON.stringify(spread)}`);
    }
    manifestModels[spec.name] = {
      sha256: MEDIAPIPE_SHA256[spec.name],
      input: { name: res.modelInputs[0].name, shape: inShape, dtype: 'float32', value: 'float32(u8 / 255), u8 from input.npy' },
      outputs: res.modelOutputs.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype })),
      executed: res.profile?.nodeTypes,
      meaning: spec.name.startsWith('palm')
        ? 'Identity: 2016 anchors x (cx, cy, w, h, 7 x (x, y)) pixel offsets from the anchor centre; Identity_1: score logits'
        : 'Identity: 21 x (x, y, z) in input pixels; Identity_1: hand presence, Identity_2: handedness (both probabilities, LOGISTIC in the graph); Identity_3: 21 x (x, y, z) world metres',
      inputs: perInput,
    };
  }
  const img = decodePhoto();
  const manifest = {
    generator: 'tools/reference/tflite_goldens.ts',
    runtime: {
      package: `@tensorflow/tfjs-tflite@${packageVersion('@tensorflow/tfjs-tflite')}`,
      tfjs: `@tensorflow/tfjs-core@${packageVersion('@tensorflow/tfjs-core')} + @tensorflow/tfjs-backend-cpu@${packageVersion('@tensorflow/tfjs-backend-cpu')}`,
      wasm: { js: VARIANT_JS[primary], wasm: VARIANT_WASM[primary], sha256: sha(readFileSync(join(WASM_DIR, VARIANT_WASM[primary]))) },
      options: { numThreads: 1, enableProfiling: false },
      crossOriginIsolated: false,
      browser: chromium,
      note: 'float32 graph delegated to XNNPACK (not switchable in tfjs-tflite); see models.*.executed',
    },
    inputs: {
      random: { seed: RANDOM_SEED, rng: 'mulberry32 (test/reference/cpu.ts makeRng)', value: 'u8 = floor(256 * rng()), NHWC order' },
      photo: {
        source: `node_modules/fingerpose/assets/${PHOTO} (fingerpose@${packageVersion('fingerpose')}, MIT, (c) 2020 Andreas Schallwig)`,
        sourceSize: [img.width, img.height],
        resize: 'bilinear, half-pixel centres, clamped to the image, rounded to nearest',
        '224': { crop: PHOTO_CROP },
        '192': { letterbox: letterboxParams(img.width, img.height, 192), padding: 0 },
      },
    },
    models: manifestModels,
  };
  files.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));

  if (verify) {
    const diff = [...files].filter(([rel, bytes]) => {
      const path = join(out, rel);
      return !existsSync(path) || Buffer.compare(readFileSync(path), Buffer.from(bytes)) !== 0;
    });
    for (const [rel] of diff) console.log(`differs: ${rel}`);
    console.log(diff.length ? `${diff.length} of ${files.size} files differ from ${out}` : `all ${files.size} files identical to ${out}`);
    if (diff.length) process.exitCode = 1;
    return;
  }
  let total = 0;
  for (const [rel, bytes] of files) {
    const path = join(out, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    if (rel.endsWith('.npy') && !rel.endsWith('input.npy')) readNpy(bytes, rel); // round-trips
    total += bytes.length;
  }
  console.log(`wrote ${files.size} files (${(total / 1024).toFixed(0)} KiB) under ${out}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
}
