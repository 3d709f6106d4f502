/**
 * `hiu hands IMAGE... [--model full|lite] [--json OUT.json] [--num-hands N]`: MediaPipe's trained
 * palm detector and hand landmark model (shipped in the package's models/) on the engine, per
 * image: the hands found, handedness, scores, 21 keypoints in image pixels, world landmarks (m).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Engine } from '../../src/engine/index.ts';
import { HandLandmarker, type LandmarkedHand } from '../../src/model/handLandmarker.ts';
import { readTflite } from '../../src/weights/tflite.ts';
import { HAND_KEYPOINT_NAMES as NAMES } from '../../src/api/hands.ts';
import { defaultModelUrls } from '../../src/api/packageFiles.ts';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './hiu.ts';
import { decodeImage } from './image.ts';
import { checkInputFile, checkOutputPath, TempOutput } from './paths.ts';
import { nonFiniteReport } from '../../src/util/finite.ts';

export const HANDS_USAGE = 'usage: hiu hands IMAGE.jpg|IMAGE.png ... [--model full|lite] [--json OUT.json] [--num-hands N]';

function fail(msg: string): never {
  throw new Error(msg);
}

const r = (v: number, d = 1) => Number(v.toFixed(d));

export async function runHands(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, { '--model': 'model', '--json': 'json', '--num-hands': 'numHands' });
  if (!positional.length) fail(HANDS_USAGE);
  const variant = flags.get('model') ?? 'full';
  if (variant !== 'full' && variant !== 'lite') fail(`--model must be full or lite, not '${variant}'`);
  const numHands = Number(flags.get('numHands') ?? 2);
  if (!Number.isInteger(numHands) || numHands < 1 || numHands > 16) fail(`--num-hands must be an integer from 1 to 16, not '${flags.get('numHands')}'`);
  const jsonPath = flags.get('json') ? checkOutputPath(flags.get('json')!, '--json', 'file') : undefined;
  // Decode every image first (each checked against the pixel budget from its header): a file that
  // is not an image fails before any model is read or any GPU work.
  const images = positional.map((p) => {
    const path = checkInputFile(p, 'image');
    return { path, img: decodeImage(path, `image ${path}`) };
  });
  const urls = defaultModelUrls(variant);
  const read = (url: string) => {
    const path = fileURLToPath(url);
    if (!existsSync(path)) fail(`${path}: the shipped model is missing (in a checkout of the repository: npm run setup)`);
    return readTflite(new Uint8Array(readFileSync(path)), path);
  };
  const models = { palm: read(urls.palm), landmark: read(urls.landmark) };
  const json = jsonPath ? TempOutput.create(jsonPath, 'file', '--json') : undefined; // removed on failure and on SIGINT/SIGTERM
  const results: { image: string; width: number; height: number; hands: ReturnType<typeof handJson>[] }[] = [];
  let engine: Engine | undefined;
  const notFinite: string[] = [];
  try {
    engine = await Engine.create();
    const lm = HandLandmarker.create(engine, models, { numHands });
    for (const { path, img } of images) {
      const t0 = performance.now();
      const hands = await lm.detect(img);
      const ms = performance.now() - t0;
      process.stdout.write(`${path}: ${img.width}x${img.height}, ${hands.length} hand${hands.length === 1 ? '' : 's'} (${ms.toFixed(0)} ms)\n`);
      for (const [i, h] of hands.entries()) {
        process.stdout.write(`  hand ${i}: ${h.handedness.label} ${h.handedness.score.toFixed(3)}, presence ${h.presence.toFixed(3)}, palm ${h.palmScore.toFixed(3)}\n`);
        for (const [k, p] of h.keypoints.entries()) {
          const w = h.world[k];
          process.stdout.write(`    ${NAMES[k].padEnd(11)} x ${p.x.toFixed(1).padStart(7)} y ${p.y.toFixed(1).padStart(7)}   world ${(w.x * 100).toFixed(2).padStart(6)} ${(w.y * 100).toFixed(2).padStart(6)} ${(w.z * 100).toFixed(2).padStart(6)} cm\n`);
        }
      }
      results.push({ image: path, width: img.width, height: img.height, hands: hands.map(handJson) });
      for (const [i, h] of hands.entries()) {
        const bad = nonFiniteReport({ keypoints: h.keypoints.flatMap((p) => [p.x, p.y, p.z]), world: h.world.flatMap((p) => [p.x, p.y, p.z]) });
        if (bad) notFinite.push(`${path} hand ${i}: ${bad}`);
      }
    }
    await lm.dispose();
    if (json) {
      writeFileSync(json.tmp, JSON.stringify({ model: variant, images: results }, null, 1) + '\n');
      json.commit();
    }
  } finally {
    json?.discard(); // a no-op after commit; never throws, so dispose always runs
    engine?.dispose();
  }
  for (const line of notFinite) process.stderr.write(`hiu hands: not usable: ${line}\n`);
  return notFinite.length ? 1 : 0;
}

function handJson(h: LandmarkedHand) {
  return {
    handedness: h.handedness, presence: r(h.presence, 4), palmScore: r(h.palmScore, 4),
    keypoints: h.keypoints.map((p, i) => ({ name: NAMES[i], x: r(p.x, 2), y: r(p.y, 2), z: r(p.z, 2) })),
    normalized: h.normalized.map((p) => ({ x: r(p.x, 5), y: r(p.y, 5), z: r(p.z, 5) })),
    world: h.world.map((p) => ({ x: r(p.x, 5), y: r(p.y, 5), z: r(p.z, 5) })),
    region: { cx: r(h.region.cx), cy: r(h.region.cy), w: r(h.region.w), h: r(h.region.h), rotation: r(h.region.rotation, 4) },
  };
}
