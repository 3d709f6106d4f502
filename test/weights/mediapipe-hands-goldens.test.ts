/**
 * The committed HandLandmarker references (test/fixtures/mediapipe-hands, written by
 * tools/reference/mediapipe_hands_goldens.ts from @mediapipe/tasks-vision in Chromium): well-formed,
 * made from the bundles the generator builds today (same sha256), and plausible: one hand per
 * photo, inside the image, of a sensible size, full and lite close, world landmarks in metres.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelBundle, readTflite } from '../../src/weights/tflite.ts';
import { MEDIAPIPE_SHA256, MODEL_DIR } from '../../tools/models/mediapipe.ts';
import { BUNDLES, decodePhoto, ENTRY, handSummary, makeBundle, NORMALIZATION, PHOTOS, withMetadata, type BundleName } from '../../tools/reference/mediapipe_hands_goldens.ts';
import { readTfliteMetadata } from '../../tools/reference/tfliteMetadata.ts';
import { readJson } from './helpers.ts';

interface Hand {
  handedness: { categoryName: string; score: number; index: number; displayName: string }[];
  landmarks: number[][];
  worldLandmarks: number[][];
}
interface Golden {
  runtime: { package: string; options: { numHands: number; runningMode: string; baseOptions: { delegate: string } } };
  bundle: { name: string; sha256: string; entries: Record<string, { model: string; modelSha256: string; sha256: string }> };
  photos: Record<string, { width: number; height: number; jpegSha256: string; rgbaSha256: string; hands: Hand[] }>;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const NAMES: BundleName[] = ['full', 'lite'];
const golden = Object.fromEntries(NAMES.map((n) => [n, readJson<Golden>('mediapipe-hands', `${n}.json`)])) as Record<BundleName, Golden>;

describe('MediaPipe HandLandmarker goldens', () => {
  it.each(NAMES)('%s: runtime, options and photos are the recorded ones', (name) => {
    const g = golden[name];
    expect(g.runtime.package).toBe('@mediapipe/tasks-vision@0.10.21');
    expect(g.runtime.options).toMatchObject({ runningMode: 'IMAGE', numHands: 2, baseOptions: { delegate: 'CPU' } });
    expect(Object.keys(g.photos)).toEqual([...PHOTOS]);
    for (const p of PHOTOS) {
      const img = decodePhoto(p);
      expect([g.photos[p].width, g.photos[p].height, g.photos[p].jpegSha256, g.photos[p].rgbaSha256]).toEqual([img.width, img.height, img.jpegSha256, sha(img.rgba)]);
    }
  });

  it.each(NAMES)('%s: the bundle rebuilds byte for byte, its models read as the originals, with normalisation metadata', (name) => {
    const b = makeBundle(name); // also checks readTflite(with metadata) == readTflite(original)
    expect(sha(b.bytes)).toBe(golden[name].bundle.sha256);
    expect(Object.keys(golden[name].bundle.entries)).toEqual([ENTRY.detector, ENTRY.landmarks]);
    const models = readModelBundle(b.bytes, `${name}.task`);
    expect([...models.keys()].sort()).toEqual([ENTRY.detector, ENTRY.landmarks].sort());
    const e = golden[name].bundle.entries;
    expect([e[ENTRY.detector].model, e[ENTRY.landmarks].model]).toEqual([BUNDLES[name].detector, BUNDLES[name].landmarks]);
    expect(e[ENTRY.detector].modelSha256).toBe(MEDIAPIPE_SHA256[BUNDLES[name].detector]);
    for (const m of models.values()) expect(m.tensors[m.inputs[0]].shape).toHaveLength(4);
  });

  it('the metadata block reads back: TFLITE_METADATA in a new last buffer, M001, mean 0 / std 255 on the one input', () => {
    const name = BUNDLES.lite.detector;
    const bytes = withMetadata(name);
    expect(sha(bytes)).toBe(golden.lite.bundle.entries[ENTRY.detector].sha256);
    const original = new Uint8Array(readFileSync(join(MODEL_DIR, `${name}.tflite`)));
    expect(readTfliteMetadata(original)).toBeUndefined();
    const md = readTfliteMetadata(bytes, name)!;
    const model = readTflite(original, name);
    expect(md.buffer).toBeGreaterThan(Math.max(...model.tensors.map((t) => t.buffer)));
    expect(md).toEqual({
      buffer: md.buffer,
      name,
      minParserVersion: '1.0.0',
      inputs: [{ name: model.tensors[model.inputs[0]].name, normalization: [NORMALIZATION] }],
    });
    // The old file is kept whole, 16-aligned, at the end of the new one.
    const at = bytes.length - Math.ceil(original.length / 16) * 16;
    expect(at % 16).toBe(0);
    expect(Buffer.compare(bytes.subarray(at, at + original.length), original)).toBe(0);
  });

  it.each(NAMES)('%s: exactly one hand per photo, inside the image, of a plausible size, world landmarks in metres', (name) => {
    for (const p of PHOTOS) {
      const { width, height, hands } = golden[name].photos[p];
      expect(hands, `${name} ${p}`).toHaveLength(1);
      const h = hands[0];
      expect(h.handedness[0].categoryName).toMatch(/^(Left|Right)$/);
      expect(h.handedness[0].score).toBeGreaterThanOrEqual(0.5);
      expect(h.handedness[0].score).toBeLessThanOrEqual(1);
      expect(h.landmarks).toHaveLength(21);
      expect(h.worldLandmarks).toHaveLength(21);
      for (const q of h.landmarks) {
        expect(q).toHaveLength(3);
        expect(q[0]).toBeGreaterThan(0);
        expect(q[0]).toBeLessThan(1);
        expect(q[1]).toBeGreaterThan(0);
        expect(q[1]).toBeLessThan(1);
        expect(Math.abs(q[2])).toBeLessThan(0.5);
      }
      const s = handSummary(h, width, height);
      // The hands fill a third to three quarters of the 480x640 photos (fist 280 px, pointing 450 px).
      expect(s.boxSize).toBeGreaterThan(0.3 * Math.max(width, height));
      expect(s.boxSize).toBeLessThan(0.8 * Math.max(width, height));
      // Wrist (0) to middle-finger MCP (9): an adult hand's palm, 5 to 12 cm.
      expect(s.wristToMiddleMcpCm).toBeGreaterThan(5);
      expect(s.wristToMiddleMcpCm).toBeLessThan(12);
      for (const q of h.worldLandmarks) for (const v of q) expect(Math.abs(v)).toBeLessThan(0.25);
    }
  });

  it('full and lite agree: landmarks within 8 % of the box size on average, 15 % at worst', () => {
    // Recorded: mean 4.2 / 5.8 / 3.6 %, max 7.7 / 12.2 / 8.0 % (fullcurl, halfcurl, nocurl).
    for (const p of PHOTOS) {
      const f = golden.full.photos[p];
      const l = golden.lite.photos[p];
      const size = handSummary(f.hands[0], f.width, f.height).boxSize;
      const d = f.hands[0].landmarks.map((q, k) => Math.hypot((q[0] - l.hands[0].landmarks[k][0]) * f.width, (q[1] - l.hands[0].landmarks[k][1]) * f.height) / size);
      expect(d.reduce((a, x) => a + x, 0) / d.length, p).toBeLessThan(0.08);
      expect(Math.max(...d), p).toBeLessThan(0.15);
      expect(Math.abs(handSummary(l.hands[0], l.width, l.height).boxSize / size - 1), p).toBeLessThan(0.1);
    }
  });
});
