/**
 * Everything only Node can do, in one module: load Dawn (the `webgpu` package), read local files,
 * and say how to get a Vulkan adapter on a machine without a GPU. Node modules are imported at
 * run time through a variable specifier, so bundlers never try to resolve them. In the published
 * package, the `browser` field of package.json swaps this file for ./browser.ts, so browser
 * bundles do not even carry these branches. Both files export the same names.
 */
import { WebGPUUnavailableError } from '../engine/errors.ts';

export const isNode = (): boolean => typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** A file-system path: a string that is no http(s)/blob/data/file URL, in Node. */
export const isLocalPath = (s: unknown): s is string => typeof s === 'string' && !/^(https?|blob|data|file):/i.test(s) && isNode();

/** The file-system path of a plain path or a file: URL (string or URL), in Node; else undefined. */
export function localPathOf(s: unknown): string | undefined {
  if (isLocalPath(s)) return s;
  const url = s instanceof URL ? s : typeof s === 'string' && /^file:/i.test(s) ? new URL(s) : null;
  return url && url.protocol === 'file:' && isNode() ? decodeURIComponent(url.pathname) : undefined;
}

/**
 * Imports a Node built-in at run time only. The specifier is a variable so that bundlers (Vite)
 * leave it alone: browser builds never reach these branches and get no node:* stubs or warnings.
 */
export function nodeImport<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

/**
 * Dawn's GPU object; its globals (GPUBufferUsage, ...) are installed on globalThis. One per
 * process, made on first use and kept: each `create()` is a new Dawn instance (a Vulkan
 * instance and driver state) whose memory is not all given back, so repeated engines share one
 * instead of stacking them. Held here, it also outlives every device made from it (Dawn
 * crashes when an instance is collected under a live device).
 */
export function loadDawn(): Promise<GPU> {
  dawnGpu ??= createDawn().catch((e: unknown) => {
    dawnGpu = null; // a failed load (package missing) is retried on the next call
    throw e;
  });
  return dawnGpu;
}

let dawnGpu: Promise<GPU> | null = null;

async function createDawn(): Promise<GPU> {
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = await nodeImport('webgpu');
  } catch (e) {
    const missing = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test((e as Error).message);
    throw new WebGPUUnavailableError(
      missing
        ? "WebGPU in Node needs the 'webgpu' package (Dawn), an optional peer dependency of hiu-webgpu: install it with `npm install webgpu`."
        : `WebGPU in Node: the 'webgpu' package (Dawn) failed to load: ${(e as Error).message}`,
      { cause: e },
    );
  }
  Object.assign(globalThis, mod.globals);
  return mod.create([]);
}

/** A local file as a stream of chunks, with its size. */
export async function fileChunks(path: string, chunkBytes: number): Promise<{ total: number; chunks: AsyncIterable<Uint8Array> }> {
  const fsp = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
  const fs = await nodeImport<typeof import('node:fs')>('node:fs');
  const { size } = await fsp.stat(path);
  return { total: size, chunks: fs.createReadStream(path, { highWaterMark: chunkBytes }) as AsyncIterable<Uint8Array> };
}

/** A local file opened for positional reads: `read` fills exactly `length` bytes or throws. */
export async function openFile(path: string): Promise<{ size: number; read(offset: number, length: number): Promise<Uint8Array>; close(): Promise<void> }> {
  const fs = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
  const handle = await fs.open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async read(offset, length) {
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error(`${path}: unexpected end of file at ${offset + done}`);
        done += bytesRead;
      }
      return buf;
    },
    close: () => handle.close(),
  };
}

/**
 * Where Chromium builds put SwiftShader's Vulkan driver (a CPU Vulkan implementation): Debian
 * and Arch chromium, Ubuntu and Fedora chromium-browser, the snap, Google Chrome, and
 * puppeteer's downloads under ~/.cache/puppeteer.
 */
export async function findSwiftShaderIcd(): Promise<string | undefined> {
  if (!isNode() || process.platform !== 'linux') return undefined;
  const fs = await nodeImport<typeof import('node:fs')>('node:fs');
  const path = await nodeImport<typeof import('node:path')>('node:path');
  const name = 'vk_swiftshader_icd.json';
  const dirs = [
    '/usr/lib/chromium', '/usr/lib/chromium-browser', '/usr/lib64/chromium-browser', '/snap/chromium/current/usr/lib/chromium-browser',
    '/opt/google/chrome', '/opt/google/chrome-beta', '/opt/google/chrome-unstable',
  ];
  if (process.env.CHROMIUM_PATH) dirs.unshift(path.dirname(fs.realpathSync(process.env.CHROMIUM_PATH)));
  const cache = process.env.PUPPETEER_CACHE_DIR ?? (process.env.HOME ? path.join(process.env.HOME, '.cache', 'puppeteer') : undefined);
  for (const browser of ['chrome', 'chrome-headless-shell']) {
    const root = cache && path.join(cache, browser);
    const builds = root && fs.existsSync(root) ? fs.readdirSync(root).sort().reverse() : [];
    for (const b of builds) for (const sub of ['chrome-linux64', 'chrome-headless-shell-linux64']) dirs.push(path.join(root!, b, sub));
  }
  return dirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}

/** True when Linux shows a GPU render node (/dev/dri/renderD*). */
export async function hasRenderNode(): Promise<boolean> {
  if (!isNode() || process.platform !== 'linux') return false;
  const fs = await nodeImport<typeof import('node:fs')>('node:fs');
  return fs.existsSync('/dev/dri') && fs.readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));
}

/** What to do when requestAdapter() returns null, said exactly for this machine. */
export async function noAdapterHint(): Promise<string> {
  if (!isNode()) return ' Start Chromium with --enable-unsafe-webgpu where WebGPU is not enabled by default.';
  if (process.platform !== 'linux') return ' Dawn found no usable GPU driver (Metal on macOS, D3D12 on Windows).';
  const icd = process.env.VK_ICD_FILENAMES;
  const loader = 'Dawn also needs the Vulkan loader, libvulkan.so.1 (Debian/Ubuntu: apt-get install libvulkan1).';
  if (icd) return ` VK_ICD_FILENAMES=${icd}: check that it names a Vulkan driver's JSON file. ${loader}`;
  const found = await findSwiftShaderIcd();
  return found
    ? ` Without a GPU, use SwiftShader (CPU): VK_ICD_FILENAMES=${found}. ${loader}`
    : ` Without a GPU, install Chromium (apt-get install chromium: it ships SwiftShader) and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json. ${loader}`;
}
