/**
 * Speed of the hand pipeline, ours against MediaPipe's own web runtime, in one headless Chromium
 * on the same photos and the same adapter (a script, not a test):
 *
 *   npx tsx bench/hands.ts [--out bench/RESULTS-hands.md] [--frames N] [--gpu-frames N] [--quick]
 *                          [--no-gpu] [--no-gpu-full] [--only ID,ID...] [--budget-min M]
 *
 * Runtimes: ours (WebGPU; models full and lite, and full with the mesh fit) and
 * @mediapipe/tasks-vision's HandLandmarker with delegate CPU (wasm) and GPU (WebGL), full and
 * lite, all on ImageBitmaps of fingerpose's three photos. IMAGE mode cycles the photos; VIDEO
 * mode plays each photo as a clip (moved and turned a little each frame, 33 ms apart) and the
 * clips one after another. Each (runtime, mode) is created fresh: its creation and first frame
 * are reported apart from the steady state. Steady-state frames are interleaved: round by round,
 * every runtime runs one frame (same photo in IMAGE mode), in an order rotated each round, so
 * machine noise hits all alike; the slow GPU delegate runs only in --gpu-frames evenly spread
 * rounds. Reported: median, min and max per frame; for ours also the per-stage split.
 * Before timing, every runtime must find exactly one hand on each photo (counts printed).
 *
 * MediaPipe runs offline as in tools/reference/mediapipe_hands_goldens.ts (whose helpers build
 * the .task bundles): the page and everything it loads come from a node:http server on 127.0.0.1
 * (tools/reference/offlinePage.ts), and puppeteer aborts any other request.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureMediapipeModels, MODEL_DIR } from '../tools/models/mediapipe.ts';
import { BUNDLES, makeBundle, packageVersion, PHOTO_DIR, PHOTOS, TASKS, type BundleName } from '../tools/reference/mediapipe_hands_goldens.ts';
import { openOfflinePage, serveLocal, type Reply } from '../tools/reference/offlinePage.ts';
import { bundlePage, median, ROOT } from './browserBench.ts';
import type { FrameResult, Mode, PageConfig, PageInfo, RuntimeSpec, Stages } from './handsPage.ts';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const flag = (name: string) => args.includes(name);
const quick = flag('--quick');
const frames = Number(opt('--frames') ?? (quick ? 3 : 20));
const gpuFrames = Math.min(frames, Number(opt('--gpu-frames') ?? (quick ? 1 : 5)));
const budgetMs = 60_000 * Number(opt('--budget-min') ?? (quick ? 6 : 14));
const out = opt('--out');
if (!(Number.isInteger(frames) && frames >= 1 && Number.isInteger(gpuFrames) && gpuFrames >= 0)) throw new Error('--frames must be an integer >= 1, --gpu-frames >= 0');
/** Frames per photo in the video sequence: the first frame and the steady ones play the three clips once. */
const CLIP = Math.max(4, Math.ceil((frames + 1) / 3));
const MODES: Mode[] = ['image', 'video'];

const ALL_RUNTIMES: (RuntimeSpec & { label: string })[] = [
  { id: 'ours-full', kind: 'ours', model: 'full', label: 'ours (WebGPU)' },
  { id: 'ours-lite', kind: 'ours', model: 'lite', label: 'ours (WebGPU)' },
  { id: 'ours-full-mesh', kind: 'ours', model: 'full', mesh: true, label: 'ours (WebGPU)' },
  { id: 'mp-cpu-full', kind: 'mediapipe', model: 'full', delegate: 'CPU', label: 'MediaPipe CPU (wasm)' },
  { id: 'mp-cpu-lite', kind: 'mediapipe', model: 'lite', delegate: 'CPU', label: 'MediaPipe CPU (wasm)' },
  { id: 'mp-gpu-lite', kind: 'mediapipe', model: 'lite', delegate: 'GPU', label: 'MediaPipe GPU (WebGL)' },
  { id: 'mp-gpu-full', kind: 'mediapipe', model: 'full', delegate: 'GPU', label: 'MediaPipe GPU (WebGL)' },
];
const only = opt('--only')?.split(',');
const RUNTIMES = ALL_RUNTIMES.filter((r) => (!only || only.includes(r.id)) && !(r.delegate === 'GPU' && flag('--no-gpu')) && !(r.id === 'mp-gpu-full' && (quick || flag('--no-gpu-full'))));
if (only?.some((id) => !ALL_RUNTIMES.some((r) => r.id === id))) throw new Error(`--only: runtimes are ${ALL_RUNTIMES.map((r) => r.id).join(', ')}`);
const isSlow = (r: RuntimeSpec) => r.delegate === 'GPU';

// ---------------------------------------------------------------------------------------------
// Page, server, browser

function serve(pageJs: string, bundles: Map<string, Uint8Array>) {
  const types: Record<string, string> = { html: 'text/html', mjs: 'text/javascript', js: 'text/javascript', wasm: 'application/wasm' };
  return serveLocal((path): Reply | undefined => {
    let m: RegExpExecArray | null;
    if (path === '/favicon.ico') return { status: 204 };
    if (path === '/') return { body: readFileSync(join(ROOT, 'bench/hands.html')), type: types.html };
    if (path === '/handsPage.js') return { body: pageJs, type: types.js };
    if (path === '/lib/vision_bundle.mjs') return { body: readFileSync(join(TASKS, 'vision_bundle.mjs')), type: types.mjs };
    if ((m = /^\/wasm\/(vision_wasm_(?:nosimd_)?internal)\.(js|wasm)$/.exec(path))) return { body: readFileSync(join(TASKS, 'wasm', `${m[1]}.${m[2]}`)), type: types[m[2]] };
    if ((m = /^\/bundles\/(\w+)\.task$/.exec(path)) && bundles.has(m[1])) return { body: bundles.get(m[1])!, type: 'application/octet-stream' };
    if ((m = /^\/models\/((?:palm_detection|hand_landmark)_(?:full|lite))\.tflite$/.exec(path))) return { body: readFileSync(join(MODEL_DIR, `${m[1]}.tflite`)), type: 'application/octet-stream' };
    if ((m = /^\/assets\/(hand-(?:left|right)\.safetensors)$/.exec(path))) return { body: readFileSync(join(ROOT, 'assets', m[1])), type: 'application/octet-stream' };
    if ((m = /^\/photos\/(\w+\.jpg)$/.exec(path)) && (PHOTOS as readonly string[]).includes(m[1])) return { body: readFileSync(join(PHOTO_DIR, m[1])), type: 'image/jpeg' };
    return undefined;
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table

interface Series {
  spec: (typeof RUNTIMES)[number];
  mode: Mode;
  createMs: number;
  first: FrameResult;
  steady: FrameResult[];
  /** Hands found on each photo (IMAGE mode: the first frame and two more, before timing). */
  handsPerPhoto: number[];
  landmarksPerPhoto: (number[][] | undefined)[];
  /** Hands per frame, every frame of the series (VIDEO mode's check). */
  handsPerFrame: number[];
  note?: string;
}

const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');
const f1 = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '-');

function mainTable(series: Series[]): string {
  const rows = series.map((s) => {
    const ms = s.steady.map((r) => r.ms);
    const ref = series.find((x) => x.mode === s.mode && x.spec.id === `mp-cpu-${s.spec.model}`);
    const ratio = ref && ref !== s ? median(ms) / median(ref.steady.map((r) => r.ms)) : NaN;
    const hands = s.mode === 'image' ? s.handsPerPhoto.join(' / ') : (s.handsPerFrame.every((h) => h === 1) ? '1 on every frame' : `${Math.min(...s.handsPerFrame)}-${Math.max(...s.handsPerFrame)} per frame`);
    return `| ${s.spec.label} | ${s.spec.model}${s.spec.mesh ? ' + mesh' : ''} | ${s.mode} | ${hands} | ${f0(s.createMs)} | ${f0(s.first.ms)} | ${f0(s.createMs + s.first.ms)} | ` +
      `**${f1(median(ms))}** | ${f1(Math.min(...ms))} - ${f1(Math.max(...ms))} | ${ms.length} | ${f1(1000 / median(ms))} | ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}x` : '-'} |${s.note ? ` ${s.note}` : ''}`;
  });
  return '| runtime | model | mode | hands (fullcurl / halfcurl / nocurl) | create ms | first frame ms | create + first ms | steady median ms | min - max | frames | fps | median / MediaPipe CPU |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|\n' + rows.join('\n');
}

function stageTable(series: Series[]): string {
  const rows = series.filter((s) => s.spec.kind === 'ours').map((s) => {
    const st = s.steady.map((r) => r.stages!);
    const m = (k: keyof Stages) => median(st.map((x) => x[k]).filter((x): x is number => x !== null && Number.isFinite(x)));
    const palmRan = st.filter((x) => x.palm !== null).length;
    return `| ours ${s.spec.model}${s.spec.mesh ? ' + mesh' : ''} | ${s.mode} | ${f1(m('upload'))} | ${f1(m('palm'))} (${palmRan} of ${st.length} frames) | ${f1(m('landmark'))} | ${f1(m('mesh'))} | ${f1(m('total'))} |`;
  });
  return '| runtime | mode | upload | palm (ran on) | landmark | mesh fit | total |\n|---|---|---|---|---|---|---|\n' + rows.join('\n');
}

/** Ours vs MediaPipe CPU (same model, IMAGE mode): mean landmark distance in % of the hand box. */
function agreement(series: Series[], size: { width: number; height: number }): string[] {
  const lines: string[] = [];
  for (const model of ['full', 'lite'] as BundleName[]) {
    const ours = series.find((s) => s.mode === 'image' && s.spec.kind === 'ours' && s.spec.model === model && !s.spec.mesh);
    const mp = series.find((s) => s.mode === 'image' && s.spec.id === `mp-cpu-${model}`);
    if (!ours || !mp) continue;
    const per = PHOTOS.map((p, i) => {
      const a = ours.landmarksPerPhoto[i];
      const b = mp.landmarksPerPhoto[i];
      if (!a || !b) return `${p}: -`;
      const [W, H] = [size.width, size.height];
      const xs = b.map((q) => q[0] * W);
      const ys = b.map((q) => q[1] * H);
      const box = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
      const d = a.map((q, k) => Math.hypot((q[0] - b[k][0]) * W, (q[1] - b[k][1]) * H));
      return `${p} ${((100 * d.reduce((x, y) => x + y, 0)) / d.length / box).toFixed(1)} %`;
    });
    lines.push(`${model}: ${per.join(', ')}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  const elapsed = () => Date.now() - t0;
  const log = (s: string) => console.log(`[${(elapsed() / 1000).toFixed(0).padStart(4)} s] ${s}`);

  ensureMediapipeModels(MODEL_DIR);
  const bundles = new Map((Object.keys(BUNDLES) as BundleName[]).map((b) => [b, makeBundle(b).bytes]));
  const pageJs = await bundlePage('bench/handsPage.ts');
  log(`page bundle ${(pageJs.length / 1024).toFixed(0)} kB; .task bundles ${[...bundles].map(([k, v]) => `${k} ${(v.length / 1024).toFixed(0)} kB`).join(', ')}`);
  const server = await serve(pageJs, bundles);
  const { launchChromium } = await import('../test/browser/chromium.ts');
  const { browser, close } = await launchChromium();
  const series: Series[] = [];
  let info: PageInfo;
  let chromium = '';
  let photoSize = { width: 0, height: 0 };
  let blocked: string[] = [];
  const cfg: PageConfig = {
    tasksVision: '/lib/vision_bundle.mjs',
    wasm: '/wasm',
    bundles: { full: '/bundles/full.task', lite: '/bundles/lite.task' },
    models: {
      full: { palm: '/models/palm_detection_full.tflite', landmark: '/models/hand_landmark_full.tflite' },
      lite: { palm: '/models/palm_detection_lite.tflite', landmark: '/models/hand_landmark_lite.tflite' },
    },
    hands: { left: '/assets/hand-left.safetensors', right: '/assets/hand-right.safetensors' },
    photos: PHOTOS.map((p) => `/photos/${p}`),
    clip: CLIP,
  };
  /** The results file: the machine, then the tables of what has been measured so far. */
  const report = (done: boolean): string => {
    const wasm = [...new Set(server.log.filter((l) => l.startsWith('/wasm/') && l.endsWith('.wasm')))];
    const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? '?';
    let rev = '?';
    try {
      rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch { /* not a checkout */ }
    const disagree = series.filter((s) => s.note).map((s) => `${s.spec.id} ${s.mode}: ${s.note}`);
    const agree = agreement(series, photoSize);
    return [
      `## Hand pipeline speed: hiu-webgpu vs MediaPipe Tasks, ${new Date().toISOString().slice(0, 10)}`,
      '',
      ...(done ? [] : ['**Partial: written after IMAGE mode, before the run ended.**', '']),
      `- Machine: ${cpuModel}, ${cpus().length} cores (no GPU: WebGPU and WebGL both run on the CPU, SwiftShader); shared with other jobs, hence the interleaving.`,
      `- Browser: headless Chromium ${chromium.replace(/^\w+\//, '')}; WebGPU adapter: ${info!.webgpu}; WebGL: ${info!.webgl}.`,
      `- Packages: hiu-webgpu ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (git ${rev}), @mediapipe/tasks-vision ${packageVersion('@mediapipe/tasks-vision')} (${wasm.map((w) => w.replace('/wasm/', '')).join(', ') || 'wasm'}), models from @mediapipe/hands ${packageVersion('@mediapipe/hands')}.`,
      `- Input: fingerpose's three photos (${photoSize.width} x ${photoSize.height}) as ImageBitmaps, the same for every runtime. IMAGE mode cycles the photos; VIDEO mode plays each photo as a clip of ${CLIP} frames (moved by up to 24 px, turned by up to 0.2 rad, 33 ms apart), the clips one after another.`,
      `- numHands 1, confidences 0.5; ours in VIDEO mode with its default One Euro smoothing. Each (runtime, mode) is created fresh; "create" is creation (fetching the models, compiling), "first frame" the first call after it. Steady state: ${frames} interleaved rounds (order rotated each round; the GPU delegate runs in ${gpuFrames} of them), median and min - max per frame, CPU wall-clock around the call (results on the CPU); the last column is the steady median over MediaPipe CPU's with the same model and mode.`,
      `- Command: \`npx tsx bench/hands.ts ${args.join(' ')}\`; ${(elapsed() / 60000).toFixed(1)} min; offline (${blocked.length} requests to ${[...new Set(blocked.map((u) => new URL(u).origin))].join(', ') || 'nothing'} aborted).`,
      '',
      mainTable(series),
      '',
      'Ours, per stage: medians of the steady frames of `estimator.lastTimings` (CPU wall-clock, GPU work awaited): upload is the CPU side of copying the ImageBitmap into a GPU texture (the GPU side of the copy is counted in the stage after it), palm and landmark each their crop, network and CPU decoding, mesh fit the hand model fit and skinning (off: 0); each column is its own median, so they need not add up to the total.',
      '',
      stageTable(series),
      '',
      `Hand counts: ${disagree.length ? `**disagreement**: ${disagree.join('; ')}` : 'every runtime found exactly one hand on every photo and every video frame.'}`,
      agree.length ? `Ours vs MediaPipe CPU, IMAGE mode, mean landmark distance in % of MediaPipe's hand box: ${agree.join('; ')} (ours with palmTargetAngle TASKS_PALM_TARGET_ANGLE, so both make the same crops).` : '',
      '',
    ].join('\n');
  };
  try {
    chromium = await browser.version();
    const offline = await openOfflinePage(browser, server.origin);
    const { page, console: pageConsole } = offline;
    blocked = offline.blocked;
    const call = async <T>(what: string, js: string): Promise<T> => {
      try {
        return (await page.evaluate(js)) as T;
      } catch (e) {
        throw new Error(`${what}: ${String(e)}\npage console (last 20):\n${pageConsole.slice(-20).join('\n')}`);
      }
    };
    await page.goto(`${server.origin}/`);
    await page.waitForFunction('window.handsBenchReady === true', { timeout: 120_000 });
    info = await call<PageInfo>('info', 'window.handsBench.info()');
    log(`Chromium ${chromium}; WebGPU: ${info.webgpu}; WebGL: ${info.webgl}`);
    const prep = await call<{ width: number; height: number; videoFrames: number }>('prepare', `window.handsBench.prepare(${JSON.stringify(cfg)})`);
    photoSize = { width: prep.width, height: prep.height };
    log(`photos ${prep.width}x${prep.height}; ${prep.videoFrames} video frames`);

    for (const [mi, mode] of MODES.entries()) {
      const modeSeries: Series[] = [];
      const frame = (s: Series, photo: number, landmarks = false) =>
        call<FrameResult>(`${s.spec.id} ${mode}`, `window.handsBench.frame(${JSON.stringify(s.spec.id)}, '${mode}', ${photo}, ${landmarks})`);
      // Creation and the first frame, one runtime at a time; then the rest of the check (IMAGE mode).
      for (const spec of RUNTIMES) {
        const { ms: createMs } = await call<{ ms: number }>(`create ${spec.id} ${mode}`, `window.handsBench.create(${JSON.stringify(spec)}, '${mode}')`);
        const s: Series = { spec, mode, createMs, first: undefined as unknown as FrameResult, steady: [], handsPerPhoto: [], landmarksPerPhoto: [], handsPerFrame: [] };
        s.first = await frame(s, 0, true);
        s.handsPerFrame.push(s.first.hands);
        if (mode === 'image') {
          s.handsPerPhoto.push(s.first.hands);
          s.landmarksPerPhoto.push(s.first.landmarks);
          for (let p = 1; p < PHOTOS.length; p++) {
            const r = await frame(s, p, true);
            s.handsPerPhoto.push(r.hands);
            s.landmarksPerPhoto.push(r.landmarks);
            s.handsPerFrame.push(r.hands);
          }
          log(`${spec.id} ${mode}: created in ${f0(createMs)} ms, first frame ${f0(s.first.ms)} ms; hands per photo ${s.handsPerPhoto.join(' / ')}`);
          if (s.handsPerPhoto.some((h) => h !== 1)) s.note = `hands found ${s.handsPerPhoto.join(' / ')}, expected 1 each`;
        } else {
          log(`${spec.id} ${mode}: created in ${f0(createMs)} ms, first frame ${f0(s.first.ms)} ms; ${s.first.hands} hand(s)`);
        }
        modeSeries.push(s);
      }
      // Steady state, interleaved. Each mode may use its share of what is left of the budget.
      const deadline = t0 + elapsed() + (budgetMs - elapsed()) / (MODES.length - mi);
      const slowRounds = new Set(Array.from({ length: gpuFrames }, (_, k) => Math.ceil((k * frames) / gpuFrames)));
      let r = 0;
      for (; r < frames; r++) {
        if (Date.now() > deadline) break;
        const active = modeSeries.filter((s) => !isSlow(s.spec) || slowRounds.has(r));
        const order = active.map((_, i) => active[(i + r) % active.length]);
        for (const s of order) {
          const res = await frame(s, r % PHOTOS.length);
          s.steady.push(res);
          s.handsPerFrame.push(res.hands);
        }
        log(`${mode} round ${r + 1}/${frames}: ${order.map((s) => `${s.spec.id} ${f0(s.steady.at(-1)!.ms)}`).join(', ')}`);
      }
      if (r < frames) log(`${mode}: time budget reached after ${r} of ${frames} rounds`);
      for (const s of modeSeries) {
        if (mode === 'video' && s.handsPerFrame.some((h) => h !== 1)) s.note = `hands per frame ${s.handsPerFrame.join('')}`;
        await call('dispose', `window.handsBench.dispose(${JSON.stringify(s.spec.id)}, '${mode}')`);
      }
      series.push(...modeSeries);
      // What is measured so far, in case a later mode fails.
      if (out && mi < MODES.length - 1) writeFileSync(resolve(out), report(false));
    }
    await page.close();
  } finally {
    await close();
    await server.close();
  }
  const bad = server.log.filter((l) => l.endsWith('404'));
  if (bad.length) throw new Error(`unexpected requests: ${bad.join(', ')}`);

  const text = report(true);
  console.log(`\n${text}`);
  if (out) {
    writeFileSync(resolve(out), text);
    console.log(`wrote ${out}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
