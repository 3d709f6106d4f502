// MediaPipe's hand pipeline on our engine (Node, Dawn) against MediaPipe's own HandLandmarker on
// the same photos (test/fixtures/mediapipe-hands, made by tools/reference/mediapipe_hands_goldens.ts):
// exactly one hand per photo, 21 keypoints within a mean of 3 % of the hand's box size.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/index.ts';
import { HandLandmarker } from '../../src/model/handLandmarker.ts';
import { TASKS_PALM_TARGET_ANGLE } from '../../src/model/handRegion.ts';
import { readTflite } from '../../src/weights/tflite.ts';
import { MODEL_DIR } from '../../tools/models/mediapipe.ts';
import { movedImage as moved } from '../imageOps.ts';

const FIX = new URL('../fixtures/mediapipe-hands/', import.meta.url).pathname;
const PHOTOS = ['fullcurl.jpg', 'halfcurl.jpg', 'nocurl.jpg'];
interface Golden { photos: Record<string, { width: number; height: number; hands: { landmarks: number[][]; worldLandmarks: number[][] }[] }> }
const golden = (v: string) => JSON.parse(readFileSync(join(FIX, `${v}.json`), 'utf8')) as Golden;
const model = (n: string) => readTflite(new Uint8Array(readFileSync(join(MODEL_DIR, `${n}.tflite`))), `${n}.tflite`);
const photo = (name: string) => jpeg.decode(readFileSync(new URL(`../../node_modules/fingerpose/assets/${name}`, import.meta.url)), { useTArray: true, formatAsRGBA: true });

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create();
});
afterAll(() => engine?.dispose());

describe.each(['full', 'lite'])('HandLandmarker %s vs MediaPipe Tasks', (variant) => {
  test('one hand per photo; keypoints within a mean of 3 % of the box; world landmarks in metres', async () => {
    const lm = HandLandmarker.create(engine, { palm: model(`palm_detection_${variant}`), landmark: model(`hand_landmark_${variant}`) }, { numHands: 2, palmTargetAngle: TASKS_PALM_TARGET_ANGLE });
    const ref = golden(variant);
    const report: string[] = [];
    try {
      for (const name of PHOTOS) {
        const img = photo(name);
        const hands = await lm.detect({ width: img.width, height: img.height, data: img.data });
        expect(hands.length, name).toBe(1);
        const want = ref.photos[name].hands[0].landmarks.map(([x, y]) => [x * img.width, y * img.height]);
        const xs = want.map((p) => p[0]);
        const ys = want.map((p) => p[1]);
        const box = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
        const d = hands[0].keypoints.map((k, i) => Math.hypot(k.x - want[i][0], k.y - want[i][1]) / box);
        const mean = d.reduce((a, b) => a + b, 0) / d.length;
        const wref = ref.photos[name].hands[0].worldLandmarks;
        const wd = hands[0].world.map((p, i) => Math.hypot(p.x - wref[i][0], p.y - wref[i][1], p.z - wref[i][2]));
        report.push(`${name}: mean ${(100 * mean).toFixed(2)} %, max ${(100 * Math.max(...d)).toFixed(2)} % of ${box.toFixed(0)} px; world mean ${(1000 * wd.reduce((a, b) => a + b, 0) / 21).toFixed(1)} mm; presence ${hands[0].presence.toFixed(3)}`);
        expect.soft(mean, report.at(-1)).toBeLessThan(0.03);
        const wrist = hands[0].world[0];
        const mcp = hands[0].world[9];
        expect(Math.hypot(wrist.x - mcp.x, wrist.y - mcp.y, wrist.z - mcp.z)).toBeGreaterThan(0.05);
        expect(Math.hypot(wrist.x - mcp.x, wrist.y - mcp.y, wrist.z - mcp.z)).toBeLessThan(0.12);
      }
      console.log(`${variant}:\n  ${report.join('\n  ')}`);
    } finally {
      lm.dispose();
    }
  });
});

describe('HandLandmarker video mode', () => {
  test('tracks a moving, turning hand from its landmarks; the palm detector runs once', async () => {
    const lm = HandLandmarker.create(engine, { palm: model('palm_detection_lite'), landmark: model('hand_landmark_lite') }, { numHands: 1 });
    const still = HandLandmarker.create(engine, { palm: model('palm_detection_lite'), landmark: model('hand_landmark_lite') }, { numHands: 1 });
    try {
      const img = photo('nocurl.jpg');
      const frames = 6;
      const errs: number[] = [];
      for (let f = 0; f < frames; f++) {
        const frame = moved(img, 6 * f, -4 * f, 3 * f);
        const hands = await lm.detectForVideo(frame, 33 * f);
        expect(hands.length, `frame ${f}`).toBe(1);
        // Against image mode on the same frame (the detector's own region): the same hand.
        const ref = await still.detect(frame);
        expect(ref.length).toBe(1);
        const xs = ref[0].keypoints.map((k) => k.x);
        const box = Math.max(...xs) - Math.min(...xs);
        const mean = hands[0].keypoints.reduce((a, k, i) => a + Math.hypot(k.x - ref[0].keypoints[i].x, k.y - ref[0].keypoints[i].y), 0) / 21 / box;
        errs.push(mean);
      }
      console.log(`video mode vs image mode per frame, mean % of box: ${errs.map((e) => (100 * e).toFixed(1)).join(' ')}`);
      // Different crops (from landmarks vs from the palm) give slightly different estimates.
      for (const [f, e] of errs.entries()) expect(e, `frame ${f}`).toBeLessThan(0.08);
      expect(lm.palmDetections).toBe(1);
      expect(still.palmDetections).toBe(frames);
      await expect(lm.detectForVideo(img, 0)).rejects.toThrow(/timestamp 0 ms must be .* greater than the previous one/);
      // A frame without the hand: tracking is lost and the detector runs again.
      const black = { width: img.width, height: img.height, data: new Uint8Array(img.data.length) };
      expect(await lm.detectForVideo(black, 1000)).toEqual([]);
      expect(await lm.detectForVideo(black, 1033)).toEqual([]);
      expect(lm.palmDetections).toBeGreaterThanOrEqual(2);
      expect((await lm.detectForVideo(img, 1066)).length).toBe(1);
    } finally {
      lm.dispose();
      still.dispose();
    }
  });
});
