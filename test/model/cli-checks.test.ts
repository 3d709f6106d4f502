// The CLI checks its inputs and its output location before loading or compiling anything
// (issue #12): each refusal below is one line, exit 1, in well under the time a model load or a
// GPU compile takes, with nothing left behind. Images are held to a pixel budget read from their
// header. An interrupted `hiu convert` removes its temporary file and exits non-zero.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkImageHeader, decodeImage, MAX_IMAGE_PIXELS, readImageHeader } from '../../tools/convert/image.ts';
import { TempOutput } from '../../tools/convert/paths.ts';
import { hiu } from './cli.ts';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const FIX = join(ROOT, 'test', 'fixtures');
const LEFT = join(ROOT, 'assets', 'hand-left.safetensors');
const RIGHT = join(ROOT, 'assets', 'hand-right.safetensors');
const CHECKPOINT = join(FIX, 'hiu-small', 'module.wrapped.zip.pth');
let dir: string;

/** A PNG that declares width x height in its IHDR; nothing after it (it is refused before decoding). */
function pngHeader(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const v = new DataView(b.buffer);
  v.setUint32(16, width);
  v.setUint32(20, height);
  b.set([8, 6, 0, 0, 0], 24); // 8-bit RGBA, no interlace; CRC left 0
  return b;
}

/** A JPEG that declares width x height in a baseline SOF0 after an APP0 segment. */
function jpegHeader(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof = [0xff, 0xc0, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof]);
}

/** Runs the CLI in-process and expects exit 1, one stderr line matching `re`, fast, nothing new in `dir`. */
async function refused(args: string[], re: RegExp, maxMs = 3000) {
  const before = readdirSync(dir).sort();
  const t0 = performance.now();
  const r = await hiu(...args);
  const ms = performance.now() - t0;
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(re);
  expect(ms, 'refused before any loading or GPU work').toBeLessThan(maxMs);
  expect(readdirSync(dir).sort()).toEqual(before);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hiu-checks-'));
  writeFileSync(join(dir, 'afile'), 'a regular file');
  writeFileSync(join(dir, 'w.safetensors'), 'only opened after every check');
  writeFileSync(join(dir, 'x.npy'), 'only read after every check');
  writeFileSync(join(dir, 'huge.png'), pngHeader(20000, 20000));
  writeFileSync(join(dir, 'huge.jpg'), jpegHeader(30000, 30000));
  mkdirSync(join(dir, 'full'));
  writeFileSync(join(dir, 'full', 'keep.txt'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('output locations are checked before any work', () => {
  const w = () => join(dir, 'w.safetensors');
  const input = () => join(FIX, 'hiu-small', 'input.npy');

  test('hiu infer: under /proc, under a file, a non-empty folder', async () => {
    const infer = (out: string) => ['infer', '--weights', w(), '--mano', LEFT, '--input', input(), '--out', out];
    await refused(infer('/proc/hiu-out'), /^hiu infer: error: --out \/proc\/hiu-out: is under \/proc, a kernel file system, not a place for output files$/);
    await refused(infer('/sys/hiu-out'), /--out \/sys\/hiu-out: is under \/sys/);
    await refused(infer(join(dir, 'afile', 'b')), /--out .*afile\/b: .*afile is a file, not a folder$/);
    await refused(infer(join(dir, 'full')), /--out .*full: exists and is not an empty folder/);
  });

  test('hiu convert and convert-mano: under /proc, under a file, onto a folder, the input itself', async () => {
    await refused(['convert', CHECKPOINT, '-o', '/proc/self/w.safetensors'], /-o \/proc\/self\/w\.safetensors: is under \/proc/);
    await refused(['convert', CHECKPOINT, '-o', join(dir, 'afile', 'w.safetensors')], /-o .*afile\/w\.safetensors: .*afile is a file, not a folder/);
    await refused(['convert', CHECKPOINT, '-o', join(dir, 'full')], /-o .*full: is a folder \(give a file name\)/);
    await refused(['convert-mano', LEFT, '-o', '/proc/hand.safetensors'], /-o \/proc\/hand\.safetensors: is under \/proc/);
    const r = await hiu('convert', CHECKPOINT, '-o', CHECKPOINT);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is the input file/);
  });

  test('hiu run, hiu hands --json, hiu profile --trace', async () => {
    await refused(['run', join(dir, 'w.safetensors'), '--input', join(dir, 'x.npy'), '--out', '/proc/hiu-run'], /--out \/proc\/hiu-run: is under \/proc/);
    await refused(['hands', join(dir, 'huge.png'), '--json', '/proc/hands.json'], /--json \/proc\/hands\.json: is under \/proc/);
    await refused(['hands', join(dir, 'huge.png'), '--json', join(dir, 'full')], /--json .*full: is a folder/);
    await refused(['profile', '--weights', w(), '--trace', '/proc/trace.json'], /--trace \/proc\/trace\.json: is under \/proc/);
    await refused(['profile', '--weights', w(), '--trace', join(dir, 'afile', 't.json')], /--trace .*afile is a file, not a folder/);
  });

  test('inputs must be regular files: a folder, a FIFO (which would block forever)', async () => {
    await refused(['convert', join(dir, 'full'), '-o', join(dir, 'o.safetensors')], /input .*full: is a folder, not a file/);
    const fifo = join(dir, 'pipe.pth');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      await refused(['convert', fifo, '-o', join(dir, 'o.safetensors')], /input .*pipe\.pth: is not a regular file/);
      rmSync(fifo);
    }
    await refused(['infer', '--weights', w(), '--mano', join(dir, 'full'), '--input', input(), '--out', join(dir, 'o')], /--mano .*full: is a folder/);
  });
});

describe('the hand asset side: the CLI refuses what the API refuses', () => {
  test('hiu infer and hiu profile with a right hand asset fail before the weights are read', async () => {
    const out = join(dir, 'never');
    await refused(['infer', '--weights', join(dir, 'w.safetensors'), '--mano', RIGHT, '--input', join(FIX, 'hiu-small', 'input.npy'), '--out', out],
      /--mano .*hand-right\.safetensors: this is a right hand asset; pass the LEFT one/);
    await refused(['profile', '--weights', join(dir, 'w.safetensors'), '--mano', RIGHT], /--mano .*hand-right\.safetensors: this is a right hand asset; pass the LEFT one/);
  });
});

describe('images: a pixel budget read from the header, before decoding', () => {
  test('a 20000 x 20000 PNG and a 30000 x 30000 JPEG are refused with their size, by infer and hands', async () => {
    const png = join(dir, 'huge.png');
    const jpg = join(dir, 'huge.jpg');
    const infer = (img: string) => ['infer', '--weights', join(dir, 'w.safetensors'), '--mano', LEFT, '--input', img, '--out', join(dir, 'o')];
    await refused(infer(png), /input .*huge\.png: PNG image of 20000 x 20000 pixels \(400\.0 megapixels\) is over the budget of 50 megapixels; downscale it first$/);
    await refused(infer(jpg), /input .*huge\.jpg: JPEG image of 30000 x 30000 pixels \(900\.0 megapixels\) is over the budget of 50 megapixels/);
    await refused(['hands', png], /image .*huge\.png: PNG image of 20000 x 20000 pixels/);
  });

  test('header reading: sizes, empty and truncated headers, non-images; a small image still decodes', () => {
    expect(readImageHeader(pngHeader(640, 480))).toEqual({ format: 'PNG', width: 640, height: 480 });
    expect(readImageHeader(jpegHeader(1920, 1080))).toEqual({ format: 'JPEG', width: 1920, height: 1080 });
    expect(readImageHeader(jpegHeader(1920, 1080).subarray(0, 24))).toMatch(/JPEG truncated before its frame header/);
    expect(readImageHeader(new TextEncoder().encode('not an image'))).toBe('not a PNG or JPEG file');
    expect(() => checkImageHeader(jpegHeader(100, 0), 'x.jpg')).toThrow(/x\.jpg: JPEG image declares 100 x 0 pixels/);
    const side = Math.floor(Math.sqrt(MAX_IMAGE_PIXELS));
    expect(checkImageHeader(pngHeader(side, side), 'ok.png').width).toBe(side);
    const small = new PNG({ width: 4, height: 3 });
    small.data.fill(200);
    const p = join(dir, 'small.png');
    writeFileSync(p, PNG.sync.write(small));
    const img = decodeImage(p);
    expect([img.width, img.height, img.data[0]]).toEqual([4, 3, 200]);
    rmSync(p);
    writeFileSync(p, new Uint8Array([...pngHeader(4, 3), 1, 2, 3]));
    expect(() => decodeImage(p)).toThrow(/^input .*small\.png: cannot decode as PNG: /);
    rmSync(p);
  });
});

describe('temporary outputs', () => {
  test('discard removes the temporary file and the folders made for it, never throws, and is a no-op after commit', () => {
    const target = join(dir, 'made', 'deeper', 'out.json');
    const t = TempOutput.create(target, 'file', '--json');
    expect(existsSync(t.tmp)).toBe(true);
    t.discard();
    t.discard();
    expect(existsSync(join(dir, 'made'))).toBe(false);
    const c = TempOutput.create(target, 'file', '--json');
    writeFileSync(c.tmp, '{}');
    c.commit();
    c.discard();
    expect(readdirSync(join(dir, 'made', 'deeper'))).toEqual(['out.json']);
    rmSync(join(dir, 'made'), { recursive: true });
  });

  // Spawns the real CLI, freezes it the moment its temporary file appears, interrupts it there.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`an interrupted hiu convert (${signal}) leaves nothing and exits non-zero`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'hiu-sig-'));
      try {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/convert/hiu.ts'), 'convert', CHECKPOINT, '-o', join(out, 'w.safetensors')], { cwd: ROOT });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        let sawTmp = false;
        const watcher = watch(out, (_event, name) => {
          if (sawTmp || !name || !/^\.w\.safetensors\..*\.tmp$/.test(String(name))) return;
          sawTmp = true;
          child.kill('SIGSTOP'); // no handler can run: the file stays in place until the signal below
          child.kill(signal);
          child.kill('SIGCONT');
        });
        const code = await new Promise<number | null>((res) => child.on('exit', (c, s) => res(c ?? (s ? -1 : null))));
        watcher.close();
        expect(sawTmp, stderr).toBe(true);
        expect(code, stderr).not.toBe(0);
        expect(readdirSync(out), stderr).toEqual([]);
        expect(stderr).toMatch(new RegExp(`interrupted \\(${signal}\\); temporary output removed`));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
