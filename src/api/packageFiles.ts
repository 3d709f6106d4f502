/**
 * Files that ship with the package, found next to this module: MediaPipe's trained hand models
 * (models/*.tflite, cut out of the @mediapipe/hands npm package at build time, Apache-2.0) and
 * our licence-free hand assets (assets/hand-*.safetensors). In this repository `models/` is made
 * by `scripts/setup.sh` (tools/models/mediapipe.ts).
 *
 * The package root is ROOT from this module: '../../' here in src/api; scripts/build.ts rewrites
 * it for dist/src/api ('../../../') and defines __HIU_PACKAGE_ROOT__ for the single-file bundle
 * (dist/, so '../'). `import.meta.url` is read into a variable so that bundlers do not try to
 * inline the files (they are megabytes); a bundler that moves this module elsewhere (Vite's
 * dependency pre-bundling) breaks the relative URL, which is why every default can be replaced
 * by an explicit URL (README).
 */
declare const __HIU_PACKAGE_ROOT__: string | undefined;

const ROOT = typeof __HIU_PACKAGE_ROOT__ === 'string' ? __HIU_PACKAGE_ROOT__ : '../../';
const here = import.meta.url;

export type HandModelVariant = 'full' | 'lite';

/** URL of a file of the package, e.g. 'models/hand_landmark_full.tflite'. */
export function packageFileUrl(rel: string): string {
  return new URL(ROOT + rel, here).href;
}

/** The palm detector and landmark model of one variant, as shipped. */
export function defaultModelUrls(variant: HandModelVariant): { palm: string; landmark: string } {
  return { palm: packageFileUrl(`models/palm_detection_${variant}.tflite`), landmark: packageFileUrl(`models/hand_landmark_${variant}.tflite`) };
}

/** Our licence-free hand model (MANO layout, not MANO data), both sides. */
export function defaultHandUrls(): { left: string; right: string } {
  return { left: packageFileUrl('assets/hand-left.safetensors'), right: packageFileUrl('assets/hand-right.safetensors') };
}
