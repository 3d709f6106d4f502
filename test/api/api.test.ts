import { afterAll, expect, test } from 'vitest';
import type { ApiCheck } from '../browser/api.ts';
import { openPage } from '../browser/chromium.ts';

// The page (test/browser/api.ts) runs every embedding-API check against one compiled estimator
// in headless Chromium; each check becomes one test here.
const logs: string[] = [];
const session = await openPage('/test/browser/api.html', (l) => logs.push(l));
afterAll(() => session.close());
await session.page.waitForFunction('window.__apiResults', { timeout: 900_000, polling: 500 });
const fatal = (await session.page.evaluate('window.__apiFatal')) as string | undefined;
const results = ((await session.page.evaluate('window.__apiResults')) as ApiCheck[] | undefined) ?? [];
const info = (await session.page.evaluate('window.__apiInfo')) as Record<string, unknown> | undefined;

const expected = [
  'wrong weights: a hand asset given as weights is a WeightsError',
  'creation split on the ready event: phases add up, one pipeline per kernel variant (not per layer), first run filled by the first call',
  'imageToTensor kernel: centre crop equals the CPU path (imageToInput), plain and mirrored',
  'input type ImageBitmap gives the ImageData result',
  'input type HTMLCanvasElement gives the ImageData result',
  'input type OffscreenCanvas gives the ImageData result',
  'ImageData: results are finite, keypoints in image pixels inside the crop',
  'input type GPUTexture gives the ImageData result',
  'queuing: two estimate() calls in flight equal sequential calls',
  'zero-size image is an InvalidImageError',
  'ImageData whose buffer was transferred is a DetachedBufferError',
  'dispose(): calls made before it complete, every GPU object is freed, later calls reject',
  'README embedding example runs in a Web Worker on an OffscreenCanvas',
  'detect(): boxes equal decodeDetections of the detector on the same (CPU) letterboxed input',
  'estimateAll: 2 crops in one batched pass equal two estimate() calls with those boxes (1e-4), left and right',
  'estimateAll with the detector: the best 2 boxes, left to right, crops and results as given those boxes',
  'tracker: the second frame reuses the box from the keypoints (no detector pass) and keypoints are One-Euro smoothed',
  'tracker: low confidence and redetectEvery bring the detector back',
  'estimator with a detector: dispose() frees every GPU object',
  "estimateAll output 'gpu': one batch item per hand, the same mesh the CPU path reads",
  'detect(), estimateAll(), createHandTracker() without a detector: clear EstimateOptionsErrors',
];

test('api page: ran to the end', () => {
  if (fatal) throw new Error(`page failed: ${fatal}\n${logs.join('\n')}`);
  expect(info?.dispatches).toBeGreaterThan(0);
  const names = results.map((r) => r.name);
  for (const e of expected) expect(names).toContain(e);
});

for (const r of results) {
  test.skipIf(!!r.skipped)(`api: ${r.name}${r.skipped ? ` (skipped: ${r.skipped})` : ''}`, () => {
    if (!r.ok) throw new Error(`${r.error}\n--- page log ---\n${logs.slice(-40).join('\n')}`);
  });
}
