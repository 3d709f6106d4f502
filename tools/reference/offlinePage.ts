/**
 * What the reference generators (tflite_goldens.ts, mediapipe_hands_goldens.ts) share: a node:http
 * server on 127.0.0.1 that answers only what a route gives, and a puppeteer page that may reach
 * nothing but that server (every other request is aborted and recorded).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import type { Browser, Page } from 'puppeteer-core';

/**
 * A route's answer for one path: a 200 with a body (logged as `${path} -> ${what}`, or as the bare
 * path without `what`), or a bodiless status (logged as `${path} -> ${what}` only with `what`).
 * A route that returns undefined gets a 404, logged as `${path} -> 404`.
 */
export type Reply = { body: Uint8Array | string; type: string; what?: string } | { status: number; what?: string };

export interface LocalServer {
  port: number;
  /** `http://127.0.0.1:${port}` */
  origin: string;
  /** One line per request answered, in order (see Reply). */
  log: string[];
  close(): Promise<void>;
}

export async function serveLocal(route: (path: string) => Reply | undefined): Promise<LocalServer> {
  const log: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const reply = route(path);
    if (!reply) {
      log.push(`${path} -> 404`);
      res.writeHead(404).end();
    } else if ('body' in reply) {
      log.push(reply.what === undefined ? path : `${path} -> ${reply.what}`);
      res.writeHead(200, { 'content-type': reply.type, 'cache-control': 'no-store' });
      res.end(reply.body);
    } else {
      if (reply.what !== undefined) log.push(`${path} -> ${reply.what}`);
      res.writeHead(reply.status).end();
    }
  };
  const server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export interface OfflinePage {
  page: Page;
  /** URLs the page asked for outside `origin` (aborted). */
  blocked: string[];
  /** `[type] text` of every console message and `[pageerror] ...` of every uncaught error. */
  console: string[];
}

/** A new page that may load only from `origin` (and data:/blob: URLs); not navigated yet. */
export async function openOfflinePage(browser: Browser, origin: string): Promise<OfflinePage> {
  const page = await browser.newPage();
  const blocked: string[] = [];
  const consoleLines: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:')) return void req.continue();
    blocked.push(url);
    return void req.abort('blockedbyclient');
  });
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${String(e)}`));
  return { page, blocked, console: consoleLines };
}
