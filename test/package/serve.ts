/**
 * Serving the package test's projects the way their users would: the app's own `vite` (dev
 * server or preview of the build), or a bare static file server for the no-bundler page; and
 * running a page in headless Chromium until it sets window.__hiu.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { cleanEnv } from './projects.ts';

export interface Served {
  url: string;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `vite` or `vite preview` of the app, from the app's own node_modules, as `npm run dev` would. */
export async function startVite(app: string, mode: 'dev' | 'preview'): Promise<Served> {
  const port = await freePort();
  const args = [join(app, 'node_modules/vite/bin/vite.js'), ...(mode === 'preview' ? ['preview'] : []), '--host', '127.0.0.1', '--port', String(port), '--strictPort'];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: app, env: { ...cleanEnv(), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite ${mode} did not start in 60 s:\n${log}`)), 60_000);
    const onData = (b: Buffer) => {
      // Strip colour codes: with CI set, picocolors colours the port in vite's banner.
      log += b.toString().replace(/\x1b\[[0-9;]*m/g, '');
      if (log.includes(`127.0.0.1:${port}`)) clearTimeout(timer), resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`vite ${mode} exited (${code}):\n${log}`))));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill()))),
  };
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

/** A bare static server (no bundler, no transforms); `counted` counts requests under /count/. */
export async function startStatic(dir: string): Promise<Served & { counted: () => number }> {
  let counted = 0;
  const server: Server = createHttpServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.startsWith('/count/')) counted++;
    const file = join(dir, normalize(path === '/' ? '/index.html' : path));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    counted: () => counted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface PageRun {
  result: Record<string, unknown>;
  /** Responses with status >= 500, failed requests and page errors: each one is a bug. */
  problems: string[];
  log: string[];
}

/** Opens `url` in a new tab and waits (up to 4 minutes: SwiftShader compiles slowly) for window.__hiu. */
export async function runPage(browser: Browser, url: string): Promise<PageRun> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const log: string[] = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('response', (r) => void (r.status() >= 500 && problems.push(`HTTP ${r.status()} ${r.url()}`)));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __hiu?: unknown }).__hiu, { timeout: 240_000, polling: 250 });
    const result = (await page.evaluate(() => (window as unknown as { __hiu: Record<string, unknown> }).__hiu)) as Record<string, unknown>;
    return { result, problems, log };
  } finally {
    await page.close();
  }
}
