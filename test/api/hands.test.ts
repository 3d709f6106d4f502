import { afterAll, expect, test } from 'vitest';
import type { HandsCheck } from '../browser/hands.ts';
import { openPage } from '../browser/chromium.ts';

// The trained default estimator (createHandEstimator() with the shipped MediaPipe models) in
// headless Chromium (test/browser/hands.ts): the photos against MediaPipe's goldens, every image
// type, video mode and the errors; each check becomes one test here. The Node side is
// test/model/handLandmarker.test.ts.
const logs: string[] = [];
const session = await openPage('/test/browser/hands.html', (l) => logs.push(l));
afterAll(() => session.close());
await session.page.waitForFunction('window.__handsResults', { timeout: 900_000, polling: 500 });
const fatal = (await session.page.evaluate('window.__handsFatal')) as string | undefined;
const results = ((await session.page.evaluate('window.__handsResults')) as HandsCheck[] | undefined) ?? [];
const info = (await session.page.evaluate('window.__handsInfo')) as Record<string, unknown> | undefined;
console.log(`Chromium, full:\n  ${((info?.report as string[] | undefined) ?? []).join('\n  ')}\ntimings (ms): ${JSON.stringify(info?.timings)}`);

const photos = ['fullcurl.jpg', 'halfcurl.jpg', 'nocurl.jpg'];
const expected = [
  ...photos.map((n) => `${n} (ImageBitmap): one hand, keypoints within a mean of 3 % of the box of MediaPipe's, its handedness, world in metres, a mesh`),
  ...['HTMLImageElement', 'HTMLCanvasElement', 'OffscreenCanvas', 'ImageData', 'VideoFrame'].map((k) => `nocurl.jpg as ${k} gives the ImageBitmap's keypoints (0.5 px)`),
  'video mode (lite): a moving, turning hand tracked in every frame, one palm detection, within 8 % of image mode, smoothed with raw kept',
  'createHandEstimator: an unknown option is an EstimateOptionsError naming it',
  'createHandEstimator: a model URL that is not there is a WeightsError naming the URL',
  'dispose(): estimateHands rejects with EstimatorDisposedError, stats() all zero',
];

test('hands page: ran to the end', () => {
  if (fatal) throw new Error(`page failed: ${fatal}\n${logs.join('\n')}`);
  expect((info?.dispatches as { palm?: number } | undefined)?.palm).toBeGreaterThan(0);
  const names = results.map((r) => r.name);
  for (const e of expected) expect(names).toContain(e);
});

for (const r of results) {
  test(`hands: ${r.name}`, () => {
    if (!r.ok) throw new Error(`${r.error}\n--- page log ---\n${logs.slice(-40).join('\n')}`);
  });
}
