/**
 * Starts a Vite dev server on 127.0.0.1 and headless Chromium (puppeteer-core) with WebGPU on
 * (openPage), or Chromium alone for pages served otherwise (launchChromium, test/package).
 * CHROMIUM_PATH overrides the browser (default /usr/bin/chromium, Debian's package).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createServer, type ViteDevServer } from 'vite';

export interface BrowserSession {
  url: string;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`Chromium not found at ${p}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  return p;
}

export interface OpenOptions {
  /** Vite root (default: the working directory) and config file (default: none). */
  root?: string;
  configFile?: string;
  viewport?: { width: number; height: number };
  /** Extra Chromium flags, after the usual ones (e.g. the fake camera for test/api/video.test.ts). */
  args?: string[];
}

/** Headless Chromium with WebGPU on, in a throwaway profile; close() also deletes the profile. */
export async function launchChromium(extraArgs: string[] = []): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'hiu-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    userDataDir: profile,
    // SwiftShader can keep a page busy for minutes (full-size benchmark shapes); callers set
    // their own time limits, so the CDP protocol must not give up first.
    protocolTimeout: 0,
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
      ...extraArgs,
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function openPage(path: string, onLog?: (line: string) => void, opts: OpenOptions = {}): Promise<BrowserSession> {
  const server: ViteDevServer = await createServer({
    root: opts.root ?? process.cwd(),
    configFile: opts.configFile ?? false,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  const base = server.resolvedUrls?.local[0];
  if (!base) throw new Error('vite did not report a local URL');
  const { browser, close } = await launchChromium(opts.args);
  const page = await browser.newPage();
  if (opts.viewport) await page.setViewport(opts.viewport);
  if (onLog) {
    page.on('console', (m) => onLog(`[page ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => onLog(`[page error] ${String(e)}`));
  }
  const url = new URL(path.replace(/^\//, ''), base).toString();
  await page.goto(url);
  return {
    url,
    browser,
    page,
    close: async () => {
      await close();
      await server.close();
    },
  };
}
