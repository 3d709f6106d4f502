/**
 * The demo page. By default the trained pipeline (MediaPipe's palm and landmark models on our
 * kernels, `createHandEstimator()`) on the bundled photos, a picked image or the webcam: keypoints,
 * skeleton, handedness, the fitted hand mesh, per-stage timings and the per-layer profiler.
 * HIU-DMTL mode comes up when HIU-DMTL weights are loaded (file picker, or the bundled untrained
 * demo network): mask / skeleton / keypoint overlay and the MANO mesh (WebGPU render pipeline).
 * State for tests is left on `window.__demo`.
 */
import {
  createHandEstimator, EngineError, loadManoAsset, type Hand, type HandEstimate, type HandEstimator, type HandImageSource, type HandModelVariant,
  type MediaPipeHandEstimator,
} from '../src/index.ts';
import { prefixBlocks } from '../src/engine/profileReport.ts';
import { hiuProfileBlocks } from '../src/model/profileBlocks.ts';
import { drawHands } from './handsView.ts';
import { acquireDevice } from '../src/engine/index.ts';
import { ManoSliders } from './manoSliders.ts';
import { MeshRenderer, vertexBuffer, type PresentMode } from './meshRenderer.ts';
import { drawOverlay } from './overlay.ts';
import { renderProfile } from './profilerView.ts';
import { drawSampleHand } from './sample.ts';

interface DemoState {
  state: 'loading' | 'ready' | 'error' | 'no-webgpu';
  /** 'mediapipe': the trained models (default); 'hiu-dmtl': HIU-DMTL weights loaded. */
  mode: 'mediapipe' | 'hiu-dmtl';
  error?: string;
  runs: number;
  /** Trained mode: hands found in the last image, with handedness and fit error. */
  hands?: { label: string; score: number; fitErrorMm: number | null }[];
  /** Frames the webcam loop has processed. */
  webcamFrames: number;
  layers: number;
  profileRows: number;
  last?: { keypoints: { x: number; y: number; color: [number, number, number] }[]; imageWidth: number; imageHeight: number; ms: number };
}
declare global {
  interface Window {
    __demo: DemoState;
  }
}
window.__demo = { state: 'loading', mode: 'mediapipe', runs: 0, layers: 0, profileRows: 0, webcamFrames: 0 };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const imageCanvas = $<HTMLCanvasElement>('image-canvas');
const meshCanvas = $<HTMLCanvasElement>('mesh-canvas');
const overlayCanvas = $<HTMLCanvasElement>('overlay-canvas');
const progress = $<HTMLProgressElement>('progress');
const status = $<HTMLSpanElement>('status');
const errorBox = $<HTMLDivElement>('error');
const info = $<HTMLDListElement>('info');

/**
 * Headless Chromium on SwiftShader loses the device when a WebGPU canvas is presented, so under
 * automation (navigator.webdriver) or with ?present=readback the mesh is rendered into a texture
 * and copied to a 2-D canvas; normal browsers render into WebGPU canvases.
 */
const PRESENT: PresentMode = navigator.webdriver || new URLSearchParams(location.search).get('present') === 'readback' ? 'readback' : 'canvas';
const DEFAULT_WEIGHTS = new URL('defaults/hiu-small.safetensors', location.href).href;
const DEFAULT_HAND = new URL('defaults/hand-left.safetensors', location.href).href;

let device: GPUDevice;
let gpuContext: Awaited<ReturnType<typeof acquireDevice>> | null = null;
let estimator: HandEstimator | null = null;
/** The trained pipeline; null in HIU-DMTL mode. */
let trained: MediaPipeHandEstimator | null = null;
let variant: HandModelVariant = 'full';
let weightsSource: string | File = DEFAULT_WEIGHTS;
let handSource: string | File = DEFAULT_HAND;
let renderer: MeshRenderer | null = null;
let sliders: ManoSliders | null = null;
let vertices: GPUBuffer | null = null;
let current: HandImageSource | null = null;
let webcam: { video: HTMLVideoElement; stream: MediaStream } | null = null;
let busy = false;
/** The error of the last run(), null after a success: the webcam loop counts these. */
let lastRunError: unknown = null;

function showError(e: unknown, context: string): void {
  const err = e as Error;
  const text = `${context}: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
  errorBox.textContent = text;
  errorBox.classList.remove('hidden');
  console.error(text, e);
  window.__demo.error = text;
}

function clearError(): void {
  errorBox.classList.add('hidden');
  errorBox.textContent = '';
}

function setEnabled(on: boolean): void {
  for (const el of document.querySelectorAll<HTMLButtonElement | HTMLInputElement>('.photo-btn, #sample-btn, #image-file, #webcam-btn, #profile-btn')) el.disabled = !on;
}

/** Shows the controls of one mode. */
function setMode(mode: DemoState['mode']): void {
  window.__demo.mode = mode;
  for (const el of document.querySelectorAll<HTMLElement>('[data-mode]')) el.classList.toggle('hidden', el.dataset.mode !== mode);
  $<HTMLSelectElement>('model-select').value = mode === 'hiu-dmtl' ? 'hiu-dmtl' : variant;
}

const progressText = (p: { phase: string; loaded: number; total?: number }) =>
  p.phase === 'compile' ? 'compiling GPU pipelines…' : p.phase === 'ready' ? 'ready' : `loading ${p.phase}: ${(p.loaded / 1e6).toFixed(1)}${p.total ? ` / ${(p.total / 1e6).toFixed(1)}` : ''} MB`;

/** Runs and profiles in flight: models are disposed only after they finish. */
const inFlight = new Set<Promise<unknown>>();
function track<T>(p: Promise<T>): Promise<T> {
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p)).catch(() => {});
  return p;
}

async function disposeModels(): Promise<void> {
  await Promise.allSettled([...inFlight]);
  const [a, b] = [estimator, trained];
  estimator = null;
  trained = null;
  await a?.dispose();
  await b?.dispose();
}

/** The trained pipeline with the models shipped with the library (full or lite). */
async function loadTrained(): Promise<void> {
  setEnabled(false);
  clearError();
  window.__demo.state = 'loading';
  await disposeModels();
  setMode('mediapipe');
  status.textContent = 'loading the trained models…';
  progress.value = 0;
  try {
    trained = await createHandEstimator({ model: variant, device, onProgress: (p) => ((progress.value = p.fraction), (status.textContent = progressText(p))) });
  } catch (e) {
    window.__demo.state = 'error';
    status.textContent = 'failed';
    showError(e, 'Could not load the trained models');
    return;
  }
  const i = trained.info;
  window.__demo.layers = i.dispatches.palm + i.dispatches.landmark;
  renderer?.dispose();
  renderer = null;
  if (!sliders) sliders = await ManoSliders.create(device, await loadManoAsset(DEFAULT_HAND), $<HTMLCanvasElement>('mano-canvas'), $('sliders'), PRESENT);
  showInfo([
    ['models', `MediaPipe ${variant}: ${i.files.palm.split('/').pop()} + ${i.files.landmark.split('/').pop()} (Apache-2.0, from npm @mediapipe/hands)`],
    ['hand mesh', 'our licence-free hand model, fitted to each hand\'s world landmarks'],
    ['dispatches', `${i.dispatches.palm} palm + ${i.dispatches.landmark} landmark per image`],
    ['adapter', `${i.adapter.vendor} ${i.adapter.architecture} ${i.adapter.description}`.trim() || 'unknown'],
    ['timestamp-query', i.timestampQuery ? 'yes' : 'no (profiler falls back to per-layer submits)'],
  ]);
  window.__demo.state = 'ready';
  setEnabled(true);
}

function showInfo(rows: [string, string][]): void {
  info.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    info.append(dt, dd);
  }
}

/** HIU-DMTL mode: converted weights (or the bundled untrained demo network) and a hand asset. */
async function loadModel(): Promise<void> {
  setEnabled(false);
  clearError();
  window.__demo.state = 'loading';
  await disposeModels();
  setMode('hiu-dmtl');
  const isDefault = weightsSource === DEFAULT_WEIGHTS;
  $('untrained').classList.toggle('hidden', !isDefault);
  status.textContent = 'loading weights…';
  progress.value = 0;
  try {
    estimator = await createHandEstimator({
      weights: weightsSource,
      hand: handSource,
      device,
      onProgress: (p) => ((progress.value = p.fraction), (status.textContent = progressText(p))),
    });
  } catch (e) {
    window.__demo.state = 'error';
    status.textContent = 'failed';
    showError(e, 'Could not load the model');
    // Keep the page usable: fall back to the defaults if a picked file was wrong.
    if (!isDefault || handSource !== DEFAULT_HAND) {
      weightsSource = DEFAULT_WEIGHTS;
      handSource = DEFAULT_HAND;
      const msg = errorBox.textContent;
      await loadModel();
      errorBox.textContent = `${msg}\n(Reloaded the bundled defaults.)`;
      errorBox.classList.remove('hidden');
    }
    return;
  }
  const est = estimator;
  renderer?.dispose();
  renderer = new MeshRenderer(device, meshCanvas, est.hand.faces, PRESENT);
  sliders?.dispose();
  sliders = await ManoSliders.create(device, est.hand, $<HTMLCanvasElement>('mano-canvas'), $('sliders'), PRESENT);
  window.__demo.layers = est.layers.length;
  const c = est.info.config;
  showInfo([
    ['weights', typeof weightsSource === 'string' ? `${weightsSource.split('/').pop()} (bundled, UNTRAINED)` : weightsSource.name],
    ['hand model', typeof handSource === 'string' ? 'our licence-free hand (bundled)' : handSource.name],
    ['network', `${c.stacks} stacks, input ${est.info.inputSize}x${est.info.inputSize}, ${est.info.weightsDtype} weights`],
    ['dispatches', `${est.info.dispatches} per inference`],
    ['adapter', `${est.info.adapter.vendor} ${est.info.adapter.architecture} ${est.info.adapter.description}`.trim() || 'unknown'],
    ['timestamp-query', est.info.timestampQuery ? 'yes' : 'no (profiler falls back to per-layer submits)'],
  ]);
  window.__demo.state = 'ready';
  setEnabled(true);
}

function sizeCanvases(w: number, h: number): void {
  for (const c of [imageCanvas, meshCanvas, overlayCanvas])
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
}

function sourceSize(s: HandImageSource): [number, number] {
  if (s instanceof HTMLVideoElement) return [s.videoWidth, s.videoHeight];
  if (s instanceof HTMLImageElement) return [s.naturalWidth, s.naturalHeight];
  const x = s as { width: number; height: number };
  return [x.width, x.height];
}

/** The image drawn on the bottom canvas, every canvas sized to it; returns its size. */
function showImage(source: HandImageSource): [number, number] {
  const [w, h] = sourceSize(source);
  sizeCanvases(w, h);
  imageCanvas.getContext('2d')!.drawImage(source as CanvasImageSource, 0, 0, w, h);
  return [w, h];
}

/** Trained mode: every hand in the image, drawn over it; per-stage times under the image. */
async function runTrained(est: MediaPipeHandEstimator, source: HandImageSource): Promise<Hand[]> {
  const [w, h] = showImage(source);
  const t0 = performance.now();
  const hands = await est.estimateHands(source, webcam ? { timestamp: performance.now() } : {});
  const ms = performance.now() - t0;
  const drawn = drawHands(overlayCanvas.getContext('2d')!, hands, { mesh: $<HTMLInputElement>('show-mesh').checked, skeleton: $<HTMLInputElement>('show-skeleton').checked });
  window.__demo.runs++;
  window.__demo.hands = hands.map((x) => ({ label: x.handedness.label, score: x.handedness.score, fitErrorMm: x.mesh?.fitErrorMm.mean ?? null }));
  if (drawn.length) window.__demo.last = { keypoints: drawn[0], imageWidth: w, imageHeight: h, ms };
  const t = est.lastTimings;
  const f = (v: number) => `${v.toFixed(1)} ms`;
  status.textContent = `${hands.length ? hands.map((x) => `${x.handedness.label} hand`).join(', ') : 'no hand found'} in ${f(ms)}`;
  $('timings').textContent =
    `Per stage: palm detector ${t.palm === null ? 'skipped (tracking the hand from the last frame)' : f(t.palm)}, ` +
    `hand landmarks ${f(t.landmark)}, mesh fit and skinning ${f(t.mesh)}, image upload ${f(t.upload)}.`;
  return hands;
}

/** HIU-DMTL mode: one hand crop; keypoints, mask and mesh drawn over it. */
async function runHiu(est: HandEstimator, source: HandImageSource): Promise<HandEstimate> {
  const [w, h] = showImage(source);
  const hand = ($('hand-side') as HTMLSelectElement).value as 'left' | 'right';
  const t0 = performance.now();
  const r = await est.estimate(source, { hand });
  const ms = performance.now() - t0;
  const drawn = drawOverlay(overlayCanvas.getContext('2d')!, r, { mask: $<HTMLInputElement>('show-mask').checked, skeleton: $<HTMLInputElement>('show-skeleton').checked });
  if ($<HTMLInputElement>('show-mesh').checked && r.vertices && renderer) {
    vertices = vertexBuffer(device, r.vertices, vertices);
    // CPU vertices of a right hand are already mirrored back, so tx flips with them.
    const camera = [r.camera[0], hand === 'right' ? -r.camera[1] : r.camera[1], r.camera[2]];
    await renderer.render(vertices, { camera, crop: r.crop, imageWidth: w, imageHeight: h });
  } else await renderer?.render(null);
  window.__demo.runs++;
  window.__demo.last = { keypoints: drawn, imageWidth: w, imageHeight: h, ms };
  const conf = r.keypoints.filter((k) => k.confident).length;
  $('timings').textContent = '';
  status.textContent = `estimate: ${ms.toFixed(1)} ms (upload, GPU crop + network + MANO, readback); ${conf}/21 keypoints confident`;
  return r;
}

/**
 * Runs the current model on `source`, one run at a time (a call while one runs returns null). A
 * failure is shown and kept in lastRunError, which the webcam loop counts.
 */
function run(source: HandImageSource): Promise<HandEstimate | Hand[] | null> {
  const [mp, hiu] = [trained, estimator];
  if (busy || !(mp || hiu)) return Promise.resolve(null);
  busy = true;
  const work = (async () => {
    try {
      const r = mp ? await runTrained(mp, source) : await runHiu(hiu!, source);
      lastRunError = null;
      return r;
    } catch (e) {
      lastRunError = e;
      showError(e, 'Could not run this image');
      return null;
    } finally {
      busy = false;
    }
  })();
  return track(work);
}

function profile(): Promise<void> {
  return track(profileNow());
}

async function profileNow(): Promise<void> {
  const hiu = estimator;
  const est = trained ?? hiu;
  if (!est) return;
  status.textContent = 'profiling…';
  window.__demo.profileRows = 0;
  try {
    const p = await est.profile();
    if (!gpuContext) return;
    const blocks = hiu ? hiuProfileBlocks(hiu.info.config, { splitTasks: true }) : prefixBlocks({ 'palm detector': 'palm.', 'hand landmarks': 'landmark.' });
    renderProfile($('profile'), p, blocks);
    window.__demo.profileRows = document.querySelectorAll('#profile-table tbody tr').length;
    status.textContent = `profiled ${p.layers.length} layers (${p.method})`;
  } catch (e) {
    status.textContent = 'profiling failed';
    showError(e, 'Profiling failed');
  }
}

/** A bundled photo (demo/public/defaults/photos: fingerpose 0.1.0's, MIT). */
async function photo(name: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = new URL(`defaults/photos/${name}`, location.href).href;
  await img.decode();
  return img;
}

function sample(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  drawSampleHand(c);
  return c;
}

async function stopWebcam(): Promise<void> {
  if (!webcam) return;
  for (const t of webcam.stream.getTracks()) t.stop();
  webcam = null;
  trained?.setRunningMode('image');
  $('webcam-btn').textContent = 'Webcam';
}

/** Failed frames in a row after which the webcam loop gives up. */
const MAX_WEBCAM_FAILURES = 5;

async function startWebcam(): Promise<void> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser offers no camera access (navigator.mediaDevices.getUserMedia is missing; pages must be served over https or localhost)');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  webcam = { video, stream };
  // Video mode: hands are tracked from frame to frame, the palm detector runs only when one is lost.
  trained?.setRunningMode('video');
  $('webcam-btn').textContent = 'Stop webcam';
  // A frame that fails usually means every frame will (e.g. the browser cannot copy this
  // camera's frames to the GPU): stop after a few in a row instead of failing at frame rate.
  let failures = 0;
  const loop = async () => {
    if (!webcam || webcam.video !== video) return;
    if (video.readyState >= 2) {
      lastRunError = null;
      const r = await run(video);
      if (r) (failures = 0), window.__demo.webcamFrames++;
      else if (lastRunError) failures++;
      if (failures >= MAX_WEBCAM_FAILURES) {
        const e = lastRunError as Error;
        await stopWebcam();
        errorBox.textContent =
          `The webcam was stopped: ${failures} frames in a row could not be processed, so it is not worth trying every frame. ` +
          `The last error was: ${e?.name ?? 'Error'}: ${(e?.message ?? String(e)).replace(/\.$/, '')}. Click "Webcam" to try again.`;
        errorBox.classList.remove('hidden');
        window.__demo.error = errorBox.textContent;
        status.textContent = 'webcam stopped after repeated errors';
        return;
      }
    }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
}

async function main(): Promise<void> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    window.__demo.state = 'no-webgpu';
    const box = $('nogpu');
    box.textContent =
      'WebGPU is not available in this browser (navigator.gpu is missing). Use a current Chrome or Edge (113+), ' +
      'or Firefox / Safari with WebGPU enabled, and open the page over https or from localhost.';
    box.classList.remove('hidden');
    status.textContent = 'no WebGPU';
    return;
  }
  try {
    // Keep the whole context (adapter included) referenced for the page's lifetime.
    gpuContext = await acquireDevice();
    device = gpuContext.device;
  } catch (e) {
    window.__demo.state = 'no-webgpu';
    const box = $('nogpu');
    box.textContent = `WebGPU is present but no GPU device could be created: ${(e as Error).message}`;
    box.classList.remove('hidden');
    return;
  }
  device.lost.then((i) => showError(new EngineError(i.message), `The GPU device was lost (${i.reason}); reload the page`));

  for (const b of document.querySelectorAll<HTMLButtonElement>('.photo-btn'))
    b.addEventListener('click', async () => {
      await stopWebcam();
      clearError();
      try {
        current = await photo(b.dataset.photo!);
      } catch (e) {
        showError(e, `Could not load the photo ${b.dataset.photo}`);
        return;
      }
      await run(current);
    });
  $<HTMLSelectElement>('model-select').addEventListener('change', async (ev) => {
    const v = (ev.target as HTMLSelectElement).value;
    await stopWebcam();
    if (v === 'hiu-dmtl') {
      weightsSource = DEFAULT_WEIGHTS;
      handSource = DEFAULT_HAND;
      await loadModel();
      current = sample();
    } else {
      variant = v as HandModelVariant;
      await loadTrained();
      if (!(current instanceof HTMLImageElement)) current = await photo('nocurl.jpg');
    }
    if (current) await run(current);
  });
  $('sample-btn').addEventListener('click', async () => {
    await stopWebcam();
    current = sample();
    await run(current);
  });
  $<HTMLInputElement>('image-file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    await stopWebcam();
    clearError();
    try {
      current = await createImageBitmap(f);
    } catch (e) {
      showError(e, `${f.name} is not an image this browser can decode`);
      return;
    }
    await run(current);
  });
  $('webcam-btn').addEventListener('click', async () => {
    if (webcam) return stopWebcam();
    clearError();
    try {
      await startWebcam();
    } catch (e) {
      showError(e, 'Webcam unavailable');
    }
  });
  $('profile-btn').addEventListener('click', () => void profile());
  $('hand-side').addEventListener('change', () => current && !webcam && void run(current));
  for (const id of ['show-mask', 'show-skeleton', 'show-mesh']) $(id).addEventListener('change', () => current && !webcam && void run(current));
  $<HTMLInputElement>('weights-file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    await stopWebcam();
    weightsSource = f;
    await loadModel();
    if (estimator && current) await run(current);
  });
  $<HTMLInputElement>('hand-file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    await stopWebcam();
    handSource = f;
    await loadModel();
    if (estimator && current) await run(current);
  });

  await loadTrained();
  if (!trained) return;
  current = await photo('nocurl.jpg');
  await run(current);
  await profile();
}

main().catch((e) => {
  window.__demo.state = 'error';
  showError(e, 'The demo failed to start');
});
