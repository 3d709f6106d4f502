/** Shared helpers for the weights tests (not a test file itself). */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { readNpy, type NpyArray } from '../../src/weights/npy.ts';

export const FIXTURES = resolve(__dirname, '../fixtures');
export const fixture = (...p: string[]) => join(FIXTURES, ...p);
export const readJson = <T = unknown>(...p: string[]): T => JSON.parse(readFileSync(fixture(...p), 'utf8')) as T;
export const npy = (...p: string[]): NpyArray => readNpy(new Uint8Array(readFileSync(fixture(...p))), p.join('/'));

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'hiu-weights-'));
}

/** Files in a directory (to prove a failed conversion left nothing behind, temp files included). */
export const listDir = (dir: string) => readdirSync(dir).sort();

export function sha256F32(a: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

/** Hand-assembles pickle bytes: each part is an opcode byte, raw bytes, or a GLOBAL/string helper. */
export const P = {
  proto: (n: number) => [0x80, n],
  global: (mod: string, name: string) => [0x63, ...Buffer.from(`${mod}\n${name}\n`, 'latin1')],
  str: (s: string) => [0x8c, Buffer.byteLength(s), ...Buffer.from(s, 'utf8')],
  stackGlobal: 0x93,
  emptyTuple: 0x29,
  tuple1: 0x85,
  reduce: 0x52,
  build: 0x62,
  emptyDict: 0x7d,
  stop: 0x2e,
};
export const pickleBytes = (...parts: (number | number[])[]) => new Uint8Array(parts.flat());

/** Wraps a data.pkl into a torch-style zip archive (stored, uncompressed). */
export function torchZip(dataPkl: Uint8Array, extra: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = { 'archive/data.pkl': [dataPkl, { level: 0 }] };
  for (const [k, v] of Object.entries(extra)) files[`archive/${k}`] = [v, { level: 0 }];
  return zipSync(files);
}
