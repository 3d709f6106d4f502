import { afterAll, expect, test } from 'vitest';
import type { VideoCheck } from '../browser/video.ts';
import { openPage } from '../browser/chromium.ts';

// <video>, VideoFrame, ImageBitmap, canvas and GPUTexture sources fed from Chromium's fake
// camera (test/browser/video.ts); each check becomes one test here.
const logs: string[] = [];
const session = await openPage('/test/browser/video.html', (l) => logs.push(l), {
  args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'],
});
afterAll(() => session.close());
await session.page.waitForFunction('window.__videoResults', { timeout: 600_000, polling: 500 });
const fatal = (await session.page.evaluate('window.__videoFatal')) as string | undefined;
const results = ((await session.page.evaluate('window.__videoResults')) as VideoCheck[] | undefined) ?? [];
const info = (await session.page.evaluate('window.__videoInfo')) as Record<string, unknown> | undefined;

const kinds = ['HTMLVideoElement', 'VideoFrame', 'ImageBitmap', 'HTMLCanvasElement', 'OffscreenCanvas', 'GPUTexture'];
const expected = [
  'a <video> with no frame yet is an InvalidImageError, from prepareSource and estimate()',
  'prepareSource(<video>) hands out a VideoFrame of the current frame, closed once the caller returns',
  ...kinds.map((k) => `${k}: 4 camera frames upload and estimate without an error`),
  ...kinds.map((k) => `${k}: the pixels reach the GPU (not black, not flat, and they change from frame to frame)`),
  '<video> and a VideoFrame of the same moment give the same pixels and the same estimate',
  'ImageBitmap, canvases and GPUTexture of the same moment show the same picture as the VideoFrame',
  'a live <video>: 20 frames in a row through estimate() with no error',
  'the trained estimator (lite, video mode, no mesh) takes the live <video>: 8 frames, every call resolves',
];

console.log(`trained estimator on the camera: created in ${info?.trainedCreateMs} ms, 8 frames in ${info?.trainedFramesMs} ms, hands ${JSON.stringify(info?.trainedHands)}`);

test('video page: ran to the end', () => {
  if (fatal) throw new Error(`page failed: ${fatal}\n${logs.join('\n')}`);
  expect(info?.video).toMatch(/^\d+x\d+$/);
  const names = results.map((r) => r.name);
  for (const e of expected) expect(names).toContain(e);
});

for (const r of results) {
  test(`video: ${r.name}`, () => {
    if (!r.ok) throw new Error(`${r.error}\n--- page info ---\n${JSON.stringify(info)}\n--- page log ---\n${logs.slice(-40).join('\n')}`);
  });
}
