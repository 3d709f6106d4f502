/**
 * The demo page: loads the bundled defaults (untrained small network + our hand asset) or files
 * the user picks, runs the estimator on the sample image, a picked image or the webcam, and
 * draws the image, the mask / skeleton / keypoint overlay (2-D canvas), the MANO mesh (WebGPU
 * render pipeline) and the profiler. State for tests is left on `window.__demo`.
 */
import { createHandEstimator, EngineError, type HandEstimate, type HandEstimator, type HandImageSource } from '../src/index.ts';
import { acquireDevice } from '../src/engine/index.ts';
import { ManoSliders } from './manoSliders.ts';
import { MeshRenderer, vertexBuffer, type PresentMode } from './meshRenderer.ts';
import { drawOverlay } from './overlay.ts';
import { renderProfile } from './profilerView.ts';
import { drawSampleHand } from './sample.ts';

interface DemoState {
  state: 'loading' | 'ready' | 'error' | 'no-webgpu';
  error?: string;
  runs: number;
  layers: number;
  profileRows: number;
  last?: { keypoints: { x: number; y: number; color: [number, number, number] }[]; imageWidth: number; imageHeight: number; ms: number };
}
declare global {
  interface Window {
    __demo: DemoState;
  }
}
window.__demo = { state: 'loading', runs: 0, layers: 0, profileRows: 0 };

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
  for (const id of ['sample-btn', 'image-file', 'webcam-btn', 'profile-btn']) ($(id) as HTMLButtonElement | HTMLInputElement).disabled = !on;
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

async function loadModel(): Promise<void> {
  setEnabled(false);
  clearError();
  window.__demo.state = 'loading';
  const old = estimator;
  estimator = null;
  await old?.dispose();
  const isDefault = weightsSource === DEFAULT_WEIGHTS;
  $('untrained').classList.toggle('hidden', !isDefault);
  status.textContent = 'loading weights…';
  progress.value = 0;
  try {
    estimator = await createHandEstimator({
      weights: weightsSource,
      hand: handSource,
      device,
      onProgress: (p) => {
        progress.value = p.fraction;
        status.textContent = p.phase === 'compile' ? 'compiling GPU pipelines…' : p.phase === 'ready' ? 'ready' : `loading ${p.phase}: ${(p.loaded / 1e6).toFixed(1)}${p.total ? ` / ${(p.total / 1e6).toFixed(1)}` : ''} MB`;
      },
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

async function run(source: HandImageSource): Promise<HandEstimate | null> {
  if (!estimator || busy) return null;
  busy = true;
  try {
    const [w, h] = sourceSize(source);
    sizeCanvases(w, h);
    const ctx = imageCanvas.getContext('2d')!;
    ctx.drawImage(source as CanvasImageSource, 0, 0, w, h);
    const hand = ($('hand-side') as HTMLSelectElement).value as 'left' | 'right';
    const t0 = performance.now();
    const r = await estimator.estimate(source, { hand });
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
    status.textContent = `estimate: ${ms.toFixed(1)} ms (upload, GPU crop + network + MANO, readback); ${conf}/21 keypoints confident`;
    lastRunError = null;
    return r;
  } catch (e) {
    lastRunError = e;
    showError(e, 'Could not run this image');
    return null;
  } finally {
    busy = false;
  }
}

async function profile(): Promise<void> {
  if (!estimator) return;
  status.textContent = 'profiling…';
  try {
    const p = await estimator.profile();
    if (!gpuContext) return;
    renderProfile($('profile'), p, estimator.info.config);
    window.__demo.profileRows = document.querySelectorAll('#profile-table tbody tr').length;
    status.textContent = `profiled ${p.layers.length} layers (${p.method})`;
  } catch (e) {
    status.textContent = 'profiling failed';
    showError(e, 'Profiling failed');
  }
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
  $('webcam-btn').textContent = 'Stop webcam';
  // A frame that fails usually means every frame will (e.g. the browser cannot copy this
  // camera's frames to the GPU): stop after a few in a row instead of failing at frame rate.
  let failures = 0;
  const loop = async () => {
    if (!webcam || webcam.video !== video) return;
    if (video.readyState >= 2) {
      lastRunError = null;
      const r = await run(video);
      if (r) failures = 0;
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

  await loadModel();
  if (!estimator) return;
  current = sample();
  await run(current);
  await profile();
}

main().catch((e) => {
  window.__demo.state = 'error';
  showError(e, 'The demo failed to start');
});
