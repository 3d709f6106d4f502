// The README's "Embed it" example. test/api/api.test.ts runs this very file (in a Web Worker,
// on an OffscreenCanvas), so the example cannot go stale. In your app, import from the package:
//   import { createHandEstimator, type HandImageSource } from 'hiu-webgpu';
import { createHandEstimator, type HandImageSource } from '../src/index.ts';

export async function embeddingExample(weightsUrl: string, handUrl: string, image: HandImageSource) {
  // 1. Load converted weights (`hiu convert`) and a LEFT hand asset (`hiu convert-mano`, or our
  //    licence-free assets/hand-left.safetensors). URL, File/Blob or ArrayBuffer all work.
  const estimator = await createHandEstimator({
    weights: weightsUrl,
    hand: handUrl,
    onProgress: (p) => console.log(`${p.phase}: ${Math.round(100 * p.fraction)} %`),
  });
  try {
    // 2. Any image: ImageBitmap, <img>, <video>, canvas, OffscreenCanvas, VideoFrame, ImageData,
    //    GPUTexture. Crop, resize and normalisation run on the GPU. Without `box`, the centred
    //    square is used; with one (e.g. from a detector), a 1.5x square around it.
    const result = await estimator.estimate(image, { hand: 'right' });
    // 3. Keypoints are in image pixels; MANO's mesh and joints come along.
    const confident = result.keypoints.filter((k) => k.confident);
    console.log(`${confident.length}/21 confident keypoints; wrist at`, result.keypoints[0].x, result.keypoints[0].y);
    console.log(`mesh: ${result.vertices!.length / 3} vertices, camera`, Array.from(result.camera));
    // 4. Where the milliseconds go, per layer.
    const profile = await estimator.profile();
    const slowest = [...profile.layers].sort((a, b) => b.ms - a.ms)[0];
    console.log(`slowest layer: ${slowest.name} (${slowest.ms.toFixed(2)} ms, ${profile.method})`);
    return { result, layers: profile.layers.length };
  } finally {
    // 5. Free every GPU object (a device you passed in stays alive).
    await estimator.dispose();
  }
}
