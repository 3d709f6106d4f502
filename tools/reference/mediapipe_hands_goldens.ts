/**
 * Reference outputs of MediaPipe's own hand pipeline: @mediapipe/tasks-vision's HandLandmarker
 * (palm detection, ROI, landmarks, handedness, world landmarks), run in headless Chromium on
 * fingerpose's three photos, with bundles made from the very .tflite files our engine runs
 * (tools/models/mediapipe.ts). Writes, under test/fixtures/mediapipe-hands/:
 *
 *   full.json    palm_detection_full + hand_landmark_full
 *   lite.json    palm_detection_lite + hand_landmark_lite
 *
 * each with, per photo, the image size and per hand its handedness, 21 normalised landmarks
 * (x, y in [0,1] of the image, z relative) and 21 world landmarks (metres).
 *
 *   npx tsx tools/reference/mediapipe_hands_goldens.ts            regenerate the fixtures
 *   npx tsx tools/reference/mediapipe_hands_goldens.ts --verify   regenerate in memory, compare with the committed files byte for byte
 *   --out DIR       write somewhere else;   --bundles DIR   also write the two .task files there
 *
 * The bundle (.task: an uncompressed zip) holds `hand_detector.tflite` and
 * `hand_landmarks_detector.tflite`, the entry names HandLandmarker looks for. MediaPipe refuses
 * the raw files (float image input without NormalizationOptions metadata), so each model first
 * gets a TFLite Support metadata block saying input = (pixel - 0) / 255
 * (tools/reference/tfliteMetadata.ts); our reader is checked to read the rewritten models
 * exactly as the originals (same tensors, data and ops).
 *
 * The photos are decoded here with jpeg-js (as tools/reference/tflite_goldens.ts does), so the
 * pixels are the ones a Node test gets, and handed to HandLandmarker as ImageData (RGBA), not
 * mirrored. Options: runningMode IMAGE, numHands 2, confidences 0.5 (the defaults), delegate CPU.
 * The page (mediapipe_hands_goldens.html), the tasks-vision bundle and its wasm are served by a
 * node:http server on 127.0.0.1 started here (tools/reference/offlinePage.ts); puppeteer aborts
 * every other request (tasks-vision tries to reach a Google host). Every photo is detected twice
 * per run, and must agree.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import type { Browser } from 'puppeteer-core';
import { readModelBundle, readTflite, type TfliteModel } from '../../src/weights/tflite.ts';
import { ensureMediapipeModels, MEDIAPIPE_SHA256, MODEL_DIR, type MediapipeModelName } from '../models/mediapipe.ts';
import { addTfliteMetadata, buildModelMetadata, readTfliteMetadata } from './tfliteMetadata.ts';
import { openOfflinePage, serveLocal, type Reply } from './offlinePage.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_OUT = join(ROOT, 'test/fixtures/mediapipe-hands');
export const TASKS = join(ROOT, 'node_modules/@mediapipe/tasks-vision');
export const PHOTO_DIR = join(ROOT, 'node_modules/fingerpose/assets');

export const PHOTOS = ['fullcurl.jpg', 'halfcurl.jpg', 'nocurl.jpg'] as const;
export type PhotoName = (typeof PHOTOS)[number];
export type BundleName = 'full' | 'lite';
export const BUNDLES: Record<BundleName, { detector: MediapipeModelName; landmarks: MediapipeModelName }> = {
  full: { detector: 'palm_detection_full', landmarks: 'hand_landmark_full' },
  lite: { detector: 'palm_detection_lite', landmarks: 'hand_landmark_lite' },
};
/** Entry names inside a HandLandmarker .task bundle. */
export const ENTRY = { detector: 'hand_detector.tflite', landmarks: 'hand_landmarks_detector.tflite' } as const;
export const NORMALIZATION = { mean: [0], std: [255] };
export const OPTIONS = {
  baseOptions: { delegate: 'CPU' },
  runningMode: 'IMAGE',
  numHands: 2,
  minHandDetectionConfidence: 0.5,
  minHandPresenceConfidence: 0.5,
  minTrackingConfidence: 0.5,
} as const;
/** zip entry time (local fields, so the bytes do not depend on the time zone). */
const ZIP_TIME = new Date(1980, 0, 1, 0, 0, 0);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
export const packageVersion = (dir: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', dir, 'package.json'), 'utf8')).version as string;

// ---------------------------------------------------------------------------------------------
// Bundles

/** A model's tensors (data by sha256) and ops, for comparing two readings. */
function fingerprint(m: TfliteModel): string {
  return JSON.stringify({
    inputs: m.inputs,
    outputs: m.outputs,
    description: m.description,
    problems: m.problems,
    ops: m.ops,
    tensors: m.tensors.map((t) => ({ ...t, data: t.data && sha(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)) })),
  });
}

/** The model with input normalisation metadata added; checked to read as the original. */
export function withMetadata(name: MediapipeModelName): Uint8Array {
  const original = new Uint8Array(readFileSync(join(MODEL_DIR, `${name}.tflite`)));
  const before = readTflite(original, name);
  const metadata = buildModelMetadata({
    name,
    description: `${name} from @mediapipe/hands; input normalisation added by hiu-webgpu tools/reference/tfliteMetadata.ts`,
    inputNames: before.inputs.map((i) => before.tensors[i].name),
    normalization: NORMALIZATION,
  });
  const bytes = addTfliteMetadata(original, metadata);
  if (fingerprint(readTflite(bytes, name)) !== fingerprint(before)) throw new Error(`${name}: the model with metadata reads differently from the original`);
  const md = readTfliteMetadata(bytes, name);
  if (!md || md.inputs.length !== 1 || JSON.stringify(md.inputs[0].normalization) !== JSON.stringify([NORMALIZATION]))
    throw new Error(`${name}: metadata reads back as ${JSON.stringify(md)}`);
  return bytes;
}

export interface Bundle {
  name: BundleName;
  bytes: Uint8Array;
  entries: Record<string, { model: MediapipeModelName; modelSha256: string; sha256: string; bytes: number }>;
}

export function makeBundle(name: BundleName): Bundle {
  const { detector, landmarks } = BUNDLES[name];
  const files = { [ENTRY.detector]: withMetadata(detector), [ENTRY.landmarks]: withMetadata(landmarks) };
  const bytes = zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, { level: 0, mtime: ZIP_TIME }]])));
  const back = readModelBundle(bytes, `${name}.task`);
  for (const [entry, data] of Object.entries(files)) {
    const m = back.get(entry);
    if (!m || fingerprint(m) !== fingerprint(readTflite(data, entry))) throw new Error(`${name}.task: ${entry} does not read back from the zip`);
  }
  const model = (e: string) => (e === ENTRY.detector ? detector : landmarks);
  return {
    name,
    bytes,
    entries: Object.fromEntries(Object.entries(files).map(([e, d]) => [e, { model: model(e), modelSha256: MEDIAPIPE_SHA256[model(e)], sha256: sha(d), bytes: d.length }])),
  };
}

// ---------------------------------------------------------------------------------------------
// Photos

export interface Photo {
  name: PhotoName;
  width: number;
  height: number;
  jpegSha256: string;
  /** RGBA, row-major, alpha 255 (jpeg-js). */
  rgba: Uint8Array;
}

export function decodePhoto(name: PhotoName): Photo {
  const bytes = readFileSync(join(PHOTO_DIR, name));
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { name, width: img.width, height: img.height, jpegSha256: sha(bytes), rgba: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
}

// ---------------------------------------------------------------------------------------------
// Server and browser

function serve(bundles: Map<string, Uint8Array>, photos: Map<string, Photo>) {
  const types: Record<string, string> = { html: 'text/html', mjs: 'text/javascript', js: 'text/javascript', wasm: 'application/wasm' };
  return serveLocal((path): Reply | undefined => {
    let m: RegExpExecArray | null;
    if (path === '/favicon.ico') return { status: 204 };
    if (path === '/') return { body: readFileSync(join(ROOT, 'tools/reference/mediapipe_hands_goldens.html')), type: types.html };
    if (path === '/lib/vision_bundle.mjs') return { body: readFileSync(join(TASKS, 'vision_bundle.mjs')), type: types.mjs };
    if ((m = /^\/wasm\/(vision_wasm_(?:nosimd_)?internal)\.(js|wasm)$/.exec(path))) return { body: readFileSync(join(TASKS, 'wasm', `${m[1]}.${m[2]}`)), type: types[m[2]] };
    if ((m = /^\/bundles\/(\w+)\.task$/.exec(path)) && bundles.has(m[1])) return { body: bundles.get(m[1])!, type: 'application/octet-stream' };
    if ((m = /^\/photos\/([\w.]+)\.rgba$/.exec(path)) && photos.has(m[1])) return { body: photos.get(m[1])!.rgba, type: 'application/octet-stream' };
    return undefined;
  });
}

interface PageHand {
  handedness: { categoryName: string; displayName: string; index: number; score: number }[];
  landmarks: number[][];
  worldLandmarks: number[][];
}
interface PageResult {
  fileset: { wasmLoaderPath: string; wasmBinaryPath: string };
  photos: Record<string, { hands: PageHand[] }>;
  repeatable: boolean;
}

async function runBundle(browser: Browser, origin: string, bundle: BundleName, photos: Photo[]) {
  const { page, blocked, console: consoleLines } = await openOfflinePage(browser, origin);
  await page.goto(`${origin}/`);
  await page.waitForFunction('window.handsPageReady === true', { timeout: 60_000 });
  const cfg = {
    wasm: '/wasm',
    bundle: `/bundles/${bundle}.task`,
    options: OPTIONS,
    photos: photos.map((p) => ({ name: p.name, url: `/photos/${p.name}.rgba`, width: p.width, height: p.height })),
  };
  let result: PageResult;
  try {
    result = (await page.evaluate(`window.runHands(${JSON.stringify(cfg)})`)) as PageResult;
  } catch (e) {
    throw new Error(`${bundle}: ${String(e)}\npage console:\n${consoleLines.join('\n')}`);
  }
  await page.close();
  return { result, blocked, console: consoleLines };
}

// ---------------------------------------------------------------------------------------------

const round = (v: number) => Number(v.toPrecision(7));

/** Numbers the summary prints and the sanity test re-derives: landmark box in pixels, wrist to middle MCP in cm. */
export function handSummary(hand: { landmarks: number[][]; worldLandmarks: number[][] }, width: number, height: number) {
  const xs = hand.landmarks.map((p) => p[0] * width);
  const ys = hand.landmarks.map((p) => p[1] * height);
  const box = { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
  const [w, m] = [hand.worldLandmarks[0], hand.worldLandmarks[9]];
  return { box, boxSize: Math.max(box.x1 - box.x0, box.y1 - box.y0), wristToMiddleMcpCm: 100 * Math.hypot(w[0] - m[0], w[1] - m[1], w[2] - m[2]) };
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const verify = args.includes('--verify');
  const out = resolve(opt('--out') ?? DEFAULT_OUT);

  ensureMediapipeModels(MODEL_DIR);
  const bundles = (Object.keys(BUNDLES) as BundleName[]).map(makeBundle);
  if (opt('--bundles')) {
    const dir = resolve(opt('--bundles')!);
    mkdirSync(dir, { recursive: true });
    for (const b of bundles) writeFileSync(join(dir, `hand_landmarker_${b.name}.task`), b.bytes);
  }
  const photos = PHOTOS.map(decodePhoto);
  const server = await serve(new Map(bundles.map((b) => [b.name, b.bytes])), new Map(photos.map((p) => [p.name, p])));
  const { launchChromium } = await import('../../test/browser/chromium.ts');
  const { browser, close } = await launchChromium();
  const runs = new Map<BundleName, Awaited<ReturnType<typeof runBundle>>>();
  let chromium: string;
  try {
    chromium = await browser.version();
    for (const b of bundles) runs.set(b.name, await runBundle(browser, server.origin, b.name, photos));
  } finally {
    await close();
    await server.close();
  }
  const blocked = [...new Set([...runs.values()].flatMap((r) => r.blocked.map((u) => new URL(u).origin)))];
  const wasmServed = [...new Set(server.log.filter((l) => l.startsWith('/wasm/')))];
  console.log(`served ${wasmServed.join(', ')}; aborted ${[...runs.values()].reduce((n, r) => n + r.blocked.length, 0)} requests to ${blocked.join(', ') || 'nothing'}`);
  if (server.log.some((l) => l.endsWith('404'))) throw new Error(`unexpected requests: ${server.log.filter((l) => l.endsWith('404')).join(', ')}`);
  const wasmBinary = wasmServed.find((l) => l.endsWith('.wasm'));
  if (!wasmBinary || wasmServed.length !== 2) throw new Error(`expected one wasm loader and binary, served ${wasmServed.join(', ')}`);

  const files = new Map<string, Uint8Array>();
  for (const b of bundles) {
    const run = runs.get(b.name)!;
    if (!run.result.repeatable) throw new Error(`${b.name}: two detections of the same photo differ`);
    const perPhoto: Record<string, unknown> = {};
    for (const p of photos) {
      const hands = run.result.photos[p.name].hands;
      perPhoto[p.name] = {
        source: `node_modules/fingerpose/assets/${p.name}`,
        jpegSha256: p.jpegSha256,
        width: p.width,
        height: p.height,
        rgbaSha256: sha(p.rgba),
        hands: hands.map((h) => ({
          handedness: h.handedness.map((c) => ({ categoryName: c.categoryName, score: round(c.score), index: c.index, displayName: c.displayName })),
          landmarks: h.landmarks.map((q) => q.map(round)),
          worldLandmarks: h.worldLandmarks.map((q) => q.map(round)),
        })),
      };
      for (const h of hands) {
        const s = handSummary(h, p.width, p.height);
        console.log(`${b.name} ${p.name} ${p.width}x${p.height}: ${hands.length} hand(s); ${h.handedness[0].categoryName} ${h.handedness[0].score.toFixed(4)}, ` +
          `box (${s.box.x0.toFixed(1)}, ${s.box.y0.toFixed(1)})-(${s.box.x1.toFixed(1)}, ${s.box.y1.toFixed(1)}) size ${s.boxSize.toFixed(1)} px, wrist-middle MCP ${s.wristToMiddleMcpCm.toFixed(2)} cm`);
      }
      if (!hands.length) console.log(`${b.name} ${p.name}: no hand`);
    }
    const doc = {
      generator: 'tools/reference/mediapipe_hands_goldens.ts',
      runtime: {
        package: `@mediapipe/tasks-vision@${packageVersion('@mediapipe/tasks-vision')}`,
        api: 'HandLandmarker.createFromOptions + detect(ImageData)',
        options: OPTIONS,
        wasm: { binary: wasmBinary.slice(1), sha256: sha(readFileSync(join(TASKS, wasmBinary.slice(1)))) },
        browser: chromium,
      },
      bundle: {
        name: b.name,
        sha256: sha(b.bytes),
        format: 'zip, stored (uncompressed)',
        entries: b.entries,
        metadata: { tfliteMetadata: 'TFLITE_METADATA', normalization: NORMALIZATION, models: '@mediapipe/hands@' + packageVersion('@mediapipe/hands') },
      },
      photos: perPhoto,
      coordinates: 'landmarks: x, y normalised to the image width/height (not mirrored), z relative depth (wrist origin, about the x scale); worldLandmarks: x, y, z in metres, origin near the hand centre',
    };
    // One line per landmark: arrays of plain numbers are written on one line.
    const text = JSON.stringify(doc, null, 1).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, body: string) => `[${body.split(/,\s+/).join(', ')}]`);
    if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(doc)) throw new Error('json formatting changed the document');
    files.set(`${b.name}.json`, new TextEncoder().encode(text + '\n'));
  }
  // full vs lite agreement, in units of the full box size
  for (const p of photos) {
    const f = runs.get('full')!.result.photos[p.name].hands;
    const l = runs.get('lite')!.result.photos[p.name].hands;
    if (f.length !== 1 || l.length !== 1) continue;
    const size = handSummary(f[0], p.width, p.height).boxSize;
    const d = f[0].landmarks.map((q, k) => Math.hypot((q[0] - l[0].landmarks[k][0]) * p.width, (q[1] - l[0].landmarks[k][1]) * p.height));
    console.log(`${p.name}: full vs lite landmarks max ${Math.max(...d).toFixed(1)} px (${((100 * Math.max(...d)) / size).toFixed(1)} % of the box), mean ${((100 * d.reduce((a, x) => a + x, 0)) / d.length / size).toFixed(1)} %`);
  }

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
  mkdirSync(out, { recursive: true });
  for (const [rel, bytes] of files) writeFileSync(join(out, rel), bytes);
  console.log(`wrote ${[...files.keys()].join(', ')} under ${out}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}
