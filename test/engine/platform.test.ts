// The Node-only module and its browser stand-in (which package.json's `browser` field and the
// single-file bundle put in its place), and the adapter hints they give.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import * as browser from '../../src/platform/browser.ts';
import * as node from '../../src/platform/node.ts';

const saved = { icd: process.env.VK_ICD_FILENAMES, chromium: process.env.CHROMIUM_PATH };
afterEach(() => {
  for (const [k, v] of [['VK_ICD_FILENAMES', saved.icd], ['CHROMIUM_PATH', saved.chromium]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test('the browser side exports exactly what the Node side does', () => {
  expect(Object.keys(browser).sort()).toEqual(Object.keys(node).sort());
});

test('the browser side treats every string as a URL and refuses Node-only work with a clear error', async () => {
  expect(browser.isNode()).toBe(false);
  expect(browser.isLocalPath('weights/hiu.safetensors')).toBe(false);
  await expect(browser.openFile('/x')).rejects.toThrow(/needs Node; this is the browser build/);
  await expect(browser.loadDawn()).rejects.toMatchObject({ name: 'WebGPUUnavailableError' });
});

test('in Node, paths are local files and URLs are not', () => {
  expect(node.isLocalPath('weights/hiu.safetensors')).toBe(true);
  for (const u of ['https://x/y', 'http://x', 'blob:abc', 'data:,x', 'file:///x']) expect(node.isLocalPath(u)).toBe(false);
});

test("SwiftShader's Vulkan driver is found next to CHROMIUM_PATH, and the hint says exactly what to set", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hiu-icd-'));
  try {
    mkdirSync(join(dir, 'chrome'));
    writeFileSync(join(dir, 'chrome', 'chromium'), '');
    writeFileSync(join(dir, 'chrome', 'vk_swiftshader_icd.json'), '{}');
    process.env.CHROMIUM_PATH = join(dir, 'chrome', 'chromium');
    delete process.env.VK_ICD_FILENAMES;
    expect(await node.findSwiftShaderIcd()).toBe(join(dir, 'chrome', 'vk_swiftshader_icd.json'));
    expect(await node.noAdapterHint()).toContain(`VK_ICD_FILENAMES=${join(dir, 'chrome', 'vk_swiftshader_icd.json')}`);
    process.env.VK_ICD_FILENAMES = '/nowhere/icd.json';
    expect(await node.noAdapterHint()).toMatch(/VK_ICD_FILENAMES=\/nowhere\/icd\.json: check that it names a Vulkan driver.*libvulkan/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
