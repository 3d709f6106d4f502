/**
 * HIU-DMTL in our engine beside onnxruntime-web, in one headless Chromium on the same adapter, the
 * same weights and the same input (a script, not a test):
 *
 *   npx tsx bench/peers.ts [--runs N] [--configs small,medium] [--peers ID,ID...] [--out FILE] [--export]
 *                          [--dtype f32|f16] [--budget-min M]
 *   npm run bench:peers -- [same options]
 *
 * Configurations (tools/reference/export_onnx.py): small = the test fixture test/fixtures/hiu-small
 * at 64 x 64; medium = full depth, widths / 4, 128 x 128, seeded random weights. The reference
 * model exports each to ONNX (Debian's /usr/bin/python3 with torch; done once into
 * artifacts/peers/, again with --export) and writes seeded random pixels, the network input made
 * from them and PyTorch's outputs; its checkpoint is converted to our weights with `hiu convert`
 * on every run (--dtype: our weights' storage type, default f32). Peers: ours (createHandEstimator, given the pixels as ImageData; creation is
 * fetch + parse + upload + compile), onnxruntime-web with the WebGPU EP (default layout, and
 * preferredLayout NCHW) and with the wasm EP (given the input tensor; creation is
 * InferenceSession.create, which fetches the model and starts ORT's wasm).
 *
 * 1. Cold: each peer is created in a browser of its own (fresh profile: no HTTP, code or shader
 *    cache shared with another peer), then runs once; both times are reported apart. Its outputs
 *    are compared with PyTorch's (and with ours): a peer above BOUND (relative L2, any output) is
 *    reported as "wrong output" and not timed further.
 * 2. Steady: every peer whose outputs agree is created again in one page; after a checked warm-up
 *    run, --runs interleaved rounds (each peer runs once per round, order rotated each round).
 *    Reported: median and min - max per run. Rounds stop early when a configuration's steady phase
 *    has taken --budget-min minutes (default 10; the medium config's ORT WebGPU runs take ~30 s each here).
 *
 * Prints the tables and writes them with the machine to --out (default bench/RESULTS-peers.md).
 * Everything is served by a node:http server on 127.0.0.1 (tools/reference/offlinePage.ts);
 * puppeteer aborts any other request.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { openOfflinePage, serveLocal, type Reply } from '../tools/reference/offlinePage.ts';
import { bundlePage, cpuLine, gitRevision, median, ROOT } from './browserBench.ts';
import type { ConfigUrls, CreateResult, Outputs, PageInfo, PeerSpec, RunResult } from './peersPage.ts';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(opt('--runs') ?? 5);
if (!(Number.isInteger(runs) && runs >= 1)) throw new Error('--runs must be an integer >= 1');
const CONFIGS = ['small', 'medium'] as const;
type ConfigName = (typeof CONFIGS)[number];
const configs = (opt('--configs') ?? 'small').split(',') as ConfigName[];
if (configs.some((c) => !CONFIGS.includes(c))) throw new Error(`--configs: ${CONFIGS.join(', ')}`);
const out = resolve(opt('--out') ?? join(ROOT, 'bench/RESULTS-peers.md'));
const dtype = opt('--dtype') ?? 'f32';
if (dtype !== 'f32' && dtype !== 'f16') throw new Error('--dtype: f32 or f16');
const budgetMs = 60_000 * Number(opt('--budget-min') ?? 10);
if (!(budgetMs > 0)) throw new Error('--budget-min must be a positive number');
const ARTIFACTS = join(ROOT, 'artifacts/peers');
const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');
/** Largest relative L2 difference from PyTorch's outputs (any of the four) that counts as the same result. */
const BOUND = 1e-4;
/** Ours with f16 weights: the f16 conformance bound of test/model/hiu.cases.ts. */
const F16_BOUND = 5e-3;
const boundFor = (p: PeerSpec) => (p.kind === 'ours' && dtype === 'f16' ? F16_BOUND : BOUND);
const OUTPUT_NAMES = ['heatmaps', 'pof', 'mask', 'coeffs'] as const;

type Peer = PeerSpec & { label: string };
const ALL_PEERS: Peer[] = [
  { id: 'ours', kind: 'ours', label: 'engine (WebGPU)' },
  { id: 'ort-webgpu', kind: 'ort', ep: 'webgpu', module: '/ort/ort.webgpu.bundle.min.mjs', label: 'ORT WebGPU (default layout)' },
  { id: 'ort-webgpu-nchw', kind: 'ort', ep: 'webgpu', layout: 'NCHW', module: '/ort/ort.webgpu.bundle.min.mjs', label: 'ORT WebGPU (NCHW)' },
  { id: 'ort-wasm', kind: 'ort', ep: 'wasm', module: '/ort/ort.wasm.bundle.min.mjs', label: 'ORT wasm (CPU)' },
];
const only = opt('--peers')?.split(',');
if (only?.some((id) => !ALL_PEERS.some((p) => p.id === id))) throw new Error(`--peers: ${ALL_PEERS.map((p) => p.id).join(', ')}`);
const PEERS = ALL_PEERS.filter((p) => !only || only.includes(p.id));

// ---------------------------------------------------------------------------------------------
// Models and references

interface Meta {
  name: ConfigName;
  input_size: number;
  checkpoint: string;
  outputs: Record<string, number[]>;
  gflop: number;
  params_m: number;
  opset: number;
  torch: string;
}

interface Model {
  meta: Meta;
  dir: string;
  reference: Record<(typeof OUTPUT_NAMES)[number], Float32Array>;
}

/** Runs a command in the repository; its stdout and stderr (the converter reports on stderr), or throws with them. */
function run(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${text}`);
  return text;
}

/** Exports (when missing, or --export) and converts one configuration; reads PyTorch's outputs. */
function prepareModel(name: ConfigName, log: (s: string) => void): Model {
  const dir = join(ARTIFACTS, name);
  if (!existsSync(join(dir, 'meta.json')) || args.includes('--export')) {
    log(`${name}: exporting to ONNX with the reference model (/usr/bin/python3)`);
    log(run('/usr/bin/python3', ['tools/reference/export_onnx.py', '--configs', name, '--out', ARTIFACTS]).split('\n').filter((l) => l.startsWith(`${name}:`)).join('\n'));
  }
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  // Converted on every run: the weights are whatever today's converter makes of the checkpoint.
  const converted = run('npx', ['tsx', 'tools/convert/bin.ts', 'convert', meta.checkpoint, '-o', join(dir, 'weights.safetensors'), '--input-size', String(meta.input_size), '--dtype', dtype]);
  log(`${name}: ${converted.split('\n').filter((l) => l.startsWith('wrote')).join(' ')}`);
  const f32 = (file: string) => {
    const b = readFileSync(join(dir, file));
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const reference = Object.fromEntries(OUTPUT_NAMES.map((k) => [k, f32(`${k}.f32`)])) as Model['reference'];
  return { meta, dir, reference };
}

/** Relative L2 difference of a from b (|a - b| / |b|); Infinity on a length mismatch or a non-finite value. */
function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  const r = Math.sqrt(d / n);
  return Number.isFinite(r) ? r : Infinity;
}

interface Check {
  /** Per output, relative L2 from PyTorch's. */
  vsTorch: Record<string, number>;
  /** Largest relative L2 from ours over the outputs (ORT peers, when ours ran). */
  vsOurs?: number;
  worst: number;
  ok: boolean;
}

function check(o: Outputs, model: Model, bound: number, ours?: Outputs): Check {
  const vsTorch = Object.fromEntries(OUTPUT_NAMES.map((k) => [k, relL2(o[k], model.reference[k])]));
  const worst = Math.max(...Object.values(vsTorch));
  const vsOurs = ours && ours !== o ? Math.max(...OUTPUT_NAMES.map((k) => relL2(o[k], ours[k]))) : undefined;
  return { vsTorch, vsOurs, worst, ok: worst <= bound };
}

// ---------------------------------------------------------------------------------------------
// Server, pages

function serve(pageJs: string) {
  const types: Record<string, string> = { html: 'text/html', mjs: 'text/javascript', js: 'text/javascript', wasm: 'application/wasm' };
  const bin = 'application/octet-stream';
  return serveLocal((path): Reply | undefined => {
    let m: RegExpExecArray | null;
    if (path === '/favicon.ico') return { status: 204 };
    if (path === '/') return { body: readFileSync(join(ROOT, 'bench/peers.html')), type: types.html };
    if (path === '/peersPage.js') return { body: pageJs, type: types.js };
    if ((m = /^\/ort\/(ort[\w.-]*\.(mjs|wasm))$/.exec(path)) && existsSync(join(ORT_DIST, m[1]))) return { body: readFileSync(join(ORT_DIST, m[1])), type: types[m[2]] };
    if (path === '/assets/hand-left.safetensors') return { body: readFileSync(join(ROOT, 'assets/hand-left.safetensors')), type: bin };
    if ((m = /^\/models\/(small|medium)\/(weights\.safetensors|model\.onnx|pixels\.rgba|input\.f32)$/.exec(path))) return { body: readFileSync(join(ARTIFACTS, m[1], m[2])), type: bin };
    return undefined;
  });
}

const urlsFor = (name: ConfigName, inputSize: number): ConfigUrls => ({
  weights: `/models/${name}/weights.safetensors`,
  hand: '/assets/hand-left.safetensors',
  onnx: `/models/${name}/model.onnx`,
  pixels: `/models/${name}/pixels.rgba`,
  input: `/models/${name}/input.f32`,
  inputSize,
  ortDist: '/ort/',
});

interface BenchPage {
  call<T>(what: string, js: string): Promise<T>;
  blocked: string[];
  close(): Promise<void>;
}

/** A fresh browser (its own profile) with the page loaded and the configuration's input fetched. */
async function openBenchPage(origin: string, urls: ConfigUrls): Promise<BenchPage & { browser: Browser }> {
  const { launchChromium } = await import('../test/browser/chromium.ts');
  const { browser, close } = await launchChromium();
  try {
    const { page, console: pageConsole, blocked } = await openOfflinePage(browser, origin);
    const call = async <T>(what: string, js: string): Promise<T> => {
      try {
        return (await page.evaluate(js)) as T;
      } catch (e) {
        throw new Error(`${what}: ${String(e)}\npage console (last 20):\n${pageConsole.slice(-20).join('\n')}`);
      }
    };
    await page.goto(`${origin}/`);
    await page.waitForFunction('window.peersBenchReady === true', { timeout: 120_000 });
    await call('prepare', `window.peersBench.prepare(${JSON.stringify(urls)})`);
    return { browser, call, blocked, close };
  } catch (e) {
    await close();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and the report

interface Series {
  peer: Peer;
  config: ConfigName;
  create: CreateResult;
  first: number;
  check: Check;
  /** Creation in the steady page (warm: same browser as the others). */
  warmCreate?: number;
  warmCheck?: Check;
  steady: number[];
  /** Creation or the first run threw (first line of the message). */
  error?: string;
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const sci = (v: number | undefined) => (v === undefined ? '-' : Number.isFinite(v) ? v.toExponential(1) : 'inf');
const valid = (s: Series | undefined) => !!s && s.check.ok && (s.warmCheck?.ok ?? true) && s.steady.length > 0;
const steadyCell = (s: Series | undefined) => {
  if (!s) return 'not run';
  if (s.error) return `failed: ${s.error}`;
  const bad = !s.check.ok ? s.check : s.warmCheck && !s.warmCheck.ok ? s.warmCheck : undefined;
  if (bad) return `wrong output (rel L2 ${sci(bad.worst)})`;
  if (!s.steady.length) return '-';
  return `**${fmt(median(s.steady))}** (${fmt(Math.min(...s.steady))} - ${fmt(Math.max(...s.steady))})`;
};

function summaryTable(series: Series[], models: Map<ConfigName, Model>): string {
  const rows = [...models.values()].map(({ meta }) => {
    const get = (id: string) => series.find((s) => s.config === meta.name && s.peer.id === id);
    const ours = get('ours');
    const gpu = [get('ort-webgpu'), get('ort-webgpu-nchw')];
    const fastest = gpu.filter(valid).sort((a, b) => median(a!.steady) - median(b!.steady))[0];
    const ratio = valid(ours) && fastest ? `${(median(ours!.steady) / median(fastest.steady)).toFixed(3)} (vs ${fastest.peer.layout ?? 'default'})` : '-';
    const pair = (f: (s: Series) => number) => gpu.map((s) => (s ? `${fmt(f(s))}${s.error ? ' (failed)' : s.check.ok ? '' : ' (wrong output)'}` : '-')).join(' / ');
    return `| ${meta.name} (${meta.input_size}x${meta.input_size}, ${meta.gflop} GFLOP) | ${steadyCell(ours)} | ${steadyCell(gpu[0])} | ${steadyCell(gpu[1])} | ${steadyCell(get('ort-wasm'))} | ` +
      `${fmt(ours?.create.ms)} | ${fmt(ours?.first)} | ${pair((s) => s.create.ms)} | ${pair((s) => s.first)} | ${ratio} |`;
  });
  return '| config | engine steady ms | ORT WebGPU ms | ORT WebGPU (NCHW) ms | ORT wasm ms | engine create ms | engine first run ms | ORT WebGPU create ms (default / NCHW) | ORT WebGPU first run ms (default / NCHW) | engine / ORT WebGPU |\n' +
    '|---|---|---|---|---|---|---|---|---|---|\n' + rows.join('\n');
}

function peerTable(series: Series[]): string {
  const rows = series.map((s) => {
    const t = s.check.vsTorch;
    const verdict = s.error ? '**failed**' : s.check.ok && (s.warmCheck?.ok ?? true) ? 'same' : '**wrong output**';
    return `| ${s.config} | ${s.peer.label} | ${fmt(s.create.ms)} | ${fmt(s.first)} | ${fmt(s.create.ms + s.first)} | ${steadyCell(s)} | ${s.steady.length} | ${fmt(s.warmCreate)} | ` +
      `${verdict}: ${OUTPUT_NAMES.map((k) => `${k} ${sci(t[k])}`).join(', ')} | ${sci(s.check.vsOurs)} |`;
  });
  return '| config | peer | cold create ms | first run ms | create + first ms | steady median ms (min - max) | runs | warm create ms | outputs vs PyTorch (rel L2) | vs ours (max rel L2) |\n' +
    '|---|---|---|---|---|---|---|---|---|---|\n' + rows.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  const loadAtStart = loadavg()[0];
  const elapsed = () => Date.now() - t0;
  const log = (s: string) => console.log(`[${(elapsed() / 1000).toFixed(0).padStart(4)} s] ${s}`);

  const models = new Map(configs.map((c) => [c, prepareModel(c, log)] as const));
  const pageJs = await bundlePage('bench/peersPage.ts');
  const server = await serve(pageJs);
  const series: Series[] = [];
  let info: PageInfo | undefined;
  let chromium = '';
  const blocked: string[] = [];
  const ortDetail = new Set<string>();
  /** The results file: the machine, then what has been measured so far. */
  const report = (done: boolean): string => {
    const pkg = (dir: string) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')).version as string;
    const ortFiles = [...new Set(server.log.filter((l) => l.startsWith('/ort/')).map((l) => l.slice(5)))];
    const phases = series.filter((s) => s.peer.kind === 'ours' && s.create.phases).map((s) =>
      `${s.config}: ${Object.entries(s.create.phases!).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}, done ${fmt(s.create.ms)}`);
    return [
      `## HIU-DMTL: hiu-webgpu vs onnxruntime-web, ${new Date().toISOString().slice(0, 10)}`,
      '',
      ...(done ? [] : ['**Partial: written after a configuration, before the run ended.**', '']),
      `- Machine: ${cpuLine()} (no GPU: WebGPU runs on the CPU, SwiftShader); shared with other jobs, hence the interleaving (1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end).`,
      `- Browser: headless Chromium ${chromium.replace(/^\w+\//, '')}; WebGPU adapter: ${info?.webgpu ?? '?'}; crossOriginIsolated ${info?.crossOriginIsolated} (so ORT's wasm runs one thread).`,
      `- Packages: hiu-webgpu ${pkg('.')} (git ${gitRevision()}), onnxruntime-web ${pkg('node_modules/onnxruntime-web')} (${ortFiles.join(', ')}; ${[...ortDetail].join('; ')}).`,
      ...[...models.values()].map(({ meta }) =>
        `- ${meta.name}: ${meta.params_m} M parameters, ${meta.gflop} GFLOP per inference (2 x multiply-adds of convs and linears, every stack's regressor counted), input ${meta.input_size} x ${meta.input_size}; checkpoint \`${meta.checkpoint}\`, exported to ONNX (opset ${meta.opset}, last stack's outputs) by torch ${meta.torch} (\`tools/reference/export_onnx.py\`), converted to our weights by \`hiu convert --dtype ${dtype}\`.`),
      `- Input: seeded random pixels; ours gets them as ImageData (estimate() with no box: the whole image at 1:1, BGR, x / 127.5 - 1 on the GPU), ORT the same values as the [1, 3, S, S] float32 tensor. Ours' time covers the image upload and preprocessing, the network, the MANO layer and reading back maps, coefficients and mesh; ORT's covers session.run() with outputs read back to the CPU.`,
      `- Outputs (last stack: heat maps, POF, mask logit, 61 coefficients) compared with PyTorch's before timing, after the first run and again after the warm-up run in the steady page; above ${sci(BOUND)} relative L2 on any output${dtype === 'f16' ? ` (ours with f16 weights: ${sci(F16_BOUND)}, the f16 conformance bound)` : ''}, a peer is "wrong output" and not timed.`,
      `- Cold: each peer created in a fresh headless Chromium (own profile: no HTTP, code or GPU shader cache shared with any other peer), libraries' JavaScript loaded before the clock starts (ORT's wasm is fetched and compiled inside create). "create" is createHandEstimator (fetch, parse, upload, compile) or InferenceSession.create; "first run" the first inference after it. Steady: the agreeing peers created again in one page ("warm create": the same browser as the others, caches allowed), one checked warm-up run each, then up to ${runs} interleaved rounds (order rotated each round; at most ${budgetMs / 60000} min per configuration, the runs column says how many ran); median (min - max), performance.now() in the page around one call.`,
      `- Command: \`npx tsx bench/peers.ts ${args.join(' ')}\`; ${(elapsed() / 60000).toFixed(1)} min; offline (${blocked.length} requests to ${[...new Set(blocked.map((u) => new URL(u).origin))].join(', ') || 'nothing'} aborted).`,
      '',
      summaryTable(series, models),
      '',
      'Per peer:',
      '',
      peerTable(series),
      '',
      `Ours, creation phases (ms from the start to the first progress event of each phase, public onProgress): ${phases.join('; ') || '-'}.`,
      '',
    ].join('\n');
  };
  try {
    for (const [name, model] of models) {
      const urls = urlsFor(name, model.meta.input_size);
      const outputsOf = new Map<string, Outputs>();
      // 1. Cold: one browser per peer.
      for (const peer of PEERS) {
        const p = await openBenchPage(server.origin, urls);
        try {
          chromium ||= await p.browser.version();
          if (!info) {
            info = await p.call<PageInfo>('info', 'window.peersBench.info()');
            log(`${chromium}; WebGPU: ${info.webgpu}; crossOriginIsolated ${info.crossOriginIsolated}`);
          }
          try {
            const create = await p.call<CreateResult>(`create ${peer.id}`, `window.peersBench.create(${JSON.stringify(peer)})`);
            if (create.detail) ortDetail.add(create.detail);
            const first = await p.call<RunResult>(`first run ${peer.id}`, `window.peersBench.run(${JSON.stringify(peer.id)}, true)`);
            outputsOf.set(peer.id, first.outputs!);
            const c = check(first.outputs!, model, boundFor(peer), outputsOf.get('ours'));
            series.push({ peer, config: name, create, first: first.ms, check: c, steady: [] });
            log(`${name} ${peer.id}: created in ${fmt(create.ms)} ms, first run ${fmt(first.ms)} ms; rel L2 vs PyTorch ${sci(c.worst)}${c.ok ? '' : ' WRONG'}${c.vsOurs === undefined ? '' : `, vs ours ${sci(c.vsOurs)}`}`);
            await p.call('dispose', `window.peersBench.dispose(${JSON.stringify(peer.id)})`);
          } catch (e) {
            // A peer that cannot create or run this model is a result too; the others go on.
            const error = String(e instanceof Error ? e.message : e).split('\n')[0].slice(0, 160);
            series.push({ peer, config: name, create: { ms: NaN }, first: NaN, check: { vsTorch: {}, worst: Infinity, ok: false }, steady: [], error });
            log(`${name} ${peer.id}: FAILED: ${String(e)}`);
          }
        } finally {
          blocked.push(...p.blocked);
          await p.close();
        }
      }
      // 2. Steady: the peers whose outputs agree, in one page, interleaved.
      const steady = series.filter((s) => s.config === name && s.check.ok);
      if (!steady.length) continue;
      const p = await openBenchPage(server.origin, urls);
      try {
        for (const s of steady) {
          s.warmCreate = (await p.call<CreateResult>(`create ${s.peer.id}`, `window.peersBench.create(${JSON.stringify(s.peer)})`)).ms;
          const warm = await p.call<RunResult>(`warm-up ${s.peer.id}`, `window.peersBench.run(${JSON.stringify(s.peer.id)}, true)`);
          s.warmCheck = check(warm.outputs!, model, boundFor(s.peer), outputsOf.get('ours'));
          log(`${name} ${s.peer.id} (steady page): created in ${fmt(s.warmCreate)} ms, warm-up ${fmt(warm.ms)} ms; rel L2 vs PyTorch ${sci(s.warmCheck.worst)}${s.warmCheck.ok ? '' : ' WRONG'}`);
        }
        const timed = steady.filter((s) => s.warmCheck!.ok);
        const deadline = Date.now() + budgetMs;
        for (let r = 0; r < runs; r++) {
          if (Date.now() > deadline) {
            log(`${name}: --budget-min reached after ${r} of ${runs} rounds`);
            break;
          }
          const order = timed.map((_, i) => timed[(i + r) % timed.length]);
          for (const s of order) s.steady.push((await p.call<RunResult>(`run ${s.peer.id}`, `window.peersBench.run(${JSON.stringify(s.peer.id)})`)).ms);
          log(`${name} round ${r + 1}/${runs}: ${order.map((s) => `${s.peer.id} ${fmt(s.steady.at(-1))}`).join(', ')}`);
        }
        for (const s of steady) await p.call('dispose', `window.peersBench.dispose(${JSON.stringify(s.peer.id)})`);
      } finally {
        blocked.push(...p.blocked);
        await p.close();
      }
      if (name !== configs.at(-1)) writeFileSync(out, report(false));
    }
  } finally {
    await server.close();
  }
  const bad = server.log.filter((l) => l.endsWith('404'));
  if (bad.length) throw new Error(`unexpected requests: ${bad.join(', ')}`);

  const text = report(true);
  console.log(`\n${text}`);
  writeFileSync(out, text);
  console.log(`wrote ${relative(process.cwd(), out)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
