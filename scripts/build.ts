/**
 * `npm run build` (also run by `npm pack` / `npm publish` through `prepack`):
 *   1. tsc (tsconfig.build.json): per-module ESM JavaScript, source maps and .d.ts in dist/src,
 *      the CLI in dist/tools/convert (bin.js, executable);
 *   2. Vite library mode: dist/hiu-webgpu.js, the main API as one minified ES module with its
 *      dependencies inlined, for pages without a bundler (<script type="module">, CDNs);
 *   3. models/: MediaPipe's hand models (Apache-2.0), cut out of the @mediapipe/hands package and
 *      sha256-checked, shipped so that createHandEstimator() works with no arguments. Both
 *      outputs find them relative to their own URL (src/api/packageFiles.ts).
 * Prints each output's size; the README quotes the bundle's.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { ensureMediapipeModels, MODEL_DIR } from '../tools/models/mediapipe.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
export const BUNDLE = 'hiu-webgpu.js';

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

/**
 * tsc rewrites `./x.ts` to `./x.js` in JavaScript but leaves declarations alone; consumers'
 * TypeScript (without allowImportingTsExtensions) wants `.js` there too.
 */
export function rewriteDeclarationSpecifiers(text: string): string {
  return text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2');
}

function tsc(): void {
  const bin = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [bin, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  for (const f of walk(dist)) if (f.endsWith('.d.ts')) writeFileSync(f, rewriteDeclarationSpecifiers(readFileSync(f, 'utf8')));
  chmodSync(join(dist, 'tools/convert/bin.js'), 0o755);
  relocatePackageRoot();
}

/** src/api/packageFiles.ts says where the package root is from itself: one folder deeper in dist/src/api. */
function relocatePackageRoot(): void {
  const f = join(dist, 'src/api/packageFiles.js');
  const text = readFileSync(f, 'utf8');
  const hits = text.split(`'../../'`).length - 1;
  if (hits !== 1) throw new Error(`${f}: expected one '../../' (the package root) to rewrite, found ${hits}`);
  writeFileSync(f, text.replace(`'../../'`, `'../../../'`));
}

const LICENSES = `/*! hiu-webgpu | MIT License | bundles fflate (MIT, (c) 2023 Arjun Barrett) and wgsl-preprocessor (MIT, (c) 2022 Brandon Jones) */`;

async function bundle(): Promise<void> {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    // The browser side of the Node-only module, as the package.json `browser` field does for bundlers.
    resolve: { alias: [{ find: /^(.*)\/platform\/node\.ts$/, replacement: '$1/platform/browser.ts' }] },
    // The bundle sits in dist/, one folder below the package root (src/api/packageFiles.ts).
    define: { __HIU_PACKAGE_ROOT__: JSON.stringify('../') },
    build: {
      outDir: dist,
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      minify: true,
      lib: { entry: join(root, 'src/index.ts'), formats: ['es'], fileName: () => BUNDLE },
      rolldownOptions: { output: { postBanner: LICENSES, minify: true } },
    },
  });
}

const kB = (n: number) => `${(n / 1024).toFixed(0)} kB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  rmSync(dist, { recursive: true, force: true });
  const t0 = Date.now();
  tsc();
  await bundle();
  const models = ensureMediapipeModels(MODEL_DIR);
  const js = [...walk(join(dist, 'src'))].filter((f) => f.endsWith('.js'));
  const b = readFileSync(join(dist, BUNDLE));
  console.log(`dist/src: ${js.length} modules, ${kB(js.reduce((s, f) => s + statSync(f).size, 0))} of JavaScript`);
  console.log(`dist/${BUNDLE}: ${kB(b.length)}, ${kB(gzipSync(b).length)} gzipped (built in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`models/: ${models.length} MediaPipe models, ${kB(models.reduce((s, f) => s + statSync(f).size, 0))}`);
}
