// Runs the README's embedding example (docs/embedding-example.ts) inside a Web Worker on an
// OffscreenCanvas: the API must need no DOM.
import { embeddingExample } from '../../docs/embedding-example.ts';

self.onmessage = async (ev: MessageEvent<{ weights: string; hand: string }>) => {
  try {
    const hasDom = typeof (globalThis as { document?: unknown }).document !== 'undefined';
    const canvas = new OffscreenCanvas(80, 64);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#d9a07a';
    ctx.fillRect(0, 0, 80, 64);
    ctx.fillStyle = '#402010';
    ctx.fillRect(30, 10, 12, 40);
    const { result, layers } = await embeddingExample(ev.data.weights, ev.data.hand, canvas);
    postMessage({
      ok: true, hasDom, layers, keypoints: result.keypoints.length, vertices: result.vertices?.length ?? 0,
      finite: result.keypoints.every((k) => Number.isFinite(k.x) && Number.isFinite(k.y)),
      imageWidth: result.imageWidth,
    });
  } catch (e) {
    postMessage({ ok: false, error: String((e as Error)?.stack ?? e) });
  }
};
