/**
 * MANO hand-model readers (src/weights/mano.ts), `hiu convert-mano`, and the licence-free
 * generated hand assets. Fixtures: tools/reference/make_mano_fixtures.py (random data in MANO's
 * layout, with the same pickle globals as the real files: chumpy.ch.Ch, scipy.sparse.csc...).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANO_PARENTS, MANO_TIP_INDICES, type ManoAsset } from '../../src/model/manoAsset.ts';
import { loadManoAsset, manoFromSafetensors, manoToSafetensors, readManoFile, sideFromName } from '../../src/weights/mano.ts';
import { ASSET_INFO, flexAxis, generateHand } from '../../tools/hand-asset/generate.ts';
import { manoForward } from '../reference/mano.ts';
import { unpickle } from '../../src/weights/pickle.ts';
import { convertManoFile } from '../../tools/convert/convertMano.ts';
import { main } from '../../tools/convert/hiu.ts';
import { fixture, listDir, readJson, sha256F32, tempDir } from './helpers.ts';

interface Expected {
  side: 'left' | 'right';
  numVertices: number;
  numFaces: number;
  parents: number[];
  tipIndices: number[];
  sha256: Record<string, string>;
}
const EXPECTED = readJson<Record<string, Expected>>('mano', 'expected.json');
/** Fixtures whose names carry no side: the side the generator meant, passed as --side. */
const SIDE_FLAG: Record<string, 'left' | 'right'> = { 'cleaned-proto2_v20.pkl': 'right', 'cleaned-proto4_v30.pkl': 'left' };

const bytesOf = (...p: string[]) => new Uint8Array(readFileSync(fixture(...p)));
const sha = (a: Uint32Array) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

function expectAsset(a: ManoAsset, e: Expected) {
  expect(a.side).toBe(e.side);
  expect(a.numVertices).toBe(e.numVertices);
  expect(a.faces.length).toBe(e.numFaces * 3);
  expect(Array.from(a.parents)).toEqual(e.parents);
  expect(Array.from(a.tipIndices)).toEqual(e.tipIndices);
  const got: Record<string, string> = {
    vTemplate: sha256F32(a.vTemplate), shapedirs: sha256F32(a.shapedirs), posedirs: sha256F32(a.posedirs),
    jRegressor: sha256F32(a.jRegressor), weights: sha256F32(a.weights), faces: sha(a.faces),
    handsComponents: sha256F32(a.handsComponents), handsMean: sha256F32(a.handsMean),
  };
  expect(got).toEqual(e.sha256);
}

describe('MANO readers', () => {
  for (const [file, e] of Object.entries(EXPECTED)) {
    it(`${file} reads to the arrays the generator wrote`, async () => {
      const a = await readManoFile(bytesOf('mano', file), file, { side: SIDE_FLAG[file] });
      expectAsset(a, e);
    });
  }

  it('loadManoAsset reads a path, a Blob and an ArrayBuffer, with progress', async () => {
    const file = fixture('mano', 'MANO_LEFT_chumpy_v40.pkl');
    const seen: number[] = [];
    const a = await loadManoAsset(file, { onProgress: (p) => seen.push(p.loaded) });
    expectAsset(a, EXPECTED['MANO_LEFT_chumpy_v40.pkl']);
    expect(seen.at(-1)).toBe(statSync(file).size);
    const bytes = bytesOf('mano', 'MANO_RIGHT_v778.npz');
    expectAsset(await loadManoAsset(new Blob([bytes]), { side: 'right' }), EXPECTED['MANO_RIGHT_v778.npz']); // a Blob has no name: side given
    expectAsset(await loadManoAsset(bytes.slice().buffer, { side: 'right' }), EXPECTED['MANO_RIGHT_v778.npz']);
  });

  it('side comes from the file name (case-insensitive) or the flag, which wins', async () => {
    expect(sideFromName('/x/MANO_LEFT.pkl')).toBe('left');
    expect(sideFromName('mano_right.pkl')).toBe('right');
    expect(sideFromName('C:\\models\\Mano-Right.npz')).toBe('right');
    expect(sideFromName('model.pkl')).toBeUndefined();
    const a = await readManoFile(bytesOf('mano', 'MANO_LEFT_chumpy_v40.pkl'), 'MANO_LEFT_chumpy_v40.pkl', { side: 'right' });
    expect(a.side).toBe('right');
    await expect(readManoFile(bytesOf('mano', 'cleaned-proto2_v20.pkl'), 'cleaned-proto2_v20.pkl')).rejects.toThrow(
      /cannot tell the hand side.*--side left\|right/,
    );
  });

  it('the checkpoint unpickler stays strict: MANO globals are refused without the MANO profile', () => {
    expect(() => unpickle(bytesOf('mano', 'MANO_LEFT_chumpy_v40.pkl'), { name: 'm', globals: {} })).toThrow(/unsafe pickle global/);
  });
});

describe('MANO readers reject bad files with clear messages', () => {
  const cases: [string, RegExp][] = [
    ['bad-hostile.pkl', /unsafe pickle global 'os\.system'/],
    ['bad-chumpy-add.pkl', /'shapedirs' is a chumpy 'chumpy\.ch_ops\.add' object.*only chumpy\.ch\.Ch/],
    ['bad-missing.npz', /missing 'posedirs' \(pose blend shapes, V x 3 x 135\)/],
    ['bad-shape.npz', /'weights' has shape \[16, 15\], expected 16 x 16 \(V = 16/],
  ];
  for (const [file, msg] of cases) {
    it(`${file}: reader and convert-mano fail, leaving no output`, async () => {
      await expect(readManoFile(bytesOf('mano', file), file, { side: 'left' })).rejects.toThrow(msg);
      const dir = tempDir();
      await expect(convertManoFile(fixture('mano', file), join(dir, 'out.safetensors'), { side: 'left' })).rejects.toThrow(msg);
      expect(listDir(dir)).toEqual([]);
    });
  }

  it('no side: convert-mano fails and leaves nothing', async () => {
    const dir = tempDir();
    const code = await main(['convert-mano', fixture('mano', 'cleaned-proto4_v30.pkl'), '-o', join(dir, 'x.safetensors')]);
    expect(code).toBe(1);
    expect(listDir(dir)).toEqual([]);
  });

  it('not a MANO file', async () => {
    await expect(readManoFile(new TextEncoder().encode('hello world'), 'x.txt', { side: 'left' })).rejects.toThrow(/not a MANO file/);
  });
});

describe('hiu convert-mano', () => {
  it('convert-mano -> loadManoAsset round trip keeps every array, with metadata', async () => {
    const dir = tempDir();
    const out = join(dir, 'left.safetensors');
    const src = fixture('mano', 'cleaned-proto4_v30.pkl');
    expect(await main(['convert-mano', src, '-o', out, '--side', 'left'])).toBe(0);
    expect(listDir(dir)).toEqual(['left.safetensors']);
    const a = await loadManoAsset(out);
    expectAsset(a, EXPECTED['cleaned-proto4_v30.pkl']);
    const { metadata } = manoFromSafetensors(new Uint8Array(readFileSync(out)), out);
    expect(metadata).toMatchObject({ format: 'hiu-mano', version: '1', architecture: 'mano-hand', side: 'left', source_name: 'cleaned-proto4_v30.pkl' });
    expect(metadata.source_sha256).toBe(createHash('sha256').update(readFileSync(src)).digest('hex'));
    expect(metadata.licence).toMatch(/non-commercial.*do not redistribute/);
  });

  it('the 778-vertex npz converts with the real tip indices of its side', async () => {
    const dir = tempDir();
    const out = join(dir, 'r.safetensors');
    const r = await convertManoFile(fixture('mano', 'MANO_RIGHT_v778.npz'), out);
    expect(r.asset.side).toBe('right');
    const a = await loadManoAsset(new Uint8Array(readFileSync(out)).buffer);
    expectAsset(a, EXPECTED['MANO_RIGHT_v778.npz']);
  });

  it('usage errors exit 2; an existing output is replaced only on success', async () => {
    const dir = tempDir();
    const out = join(dir, 'keep.safetensors');
    writeFileSync(out, 'previous');
    expect(await main(['convert-mano', fixture('mano', 'MANO_RIGHT_v778.npz')])).toBe(2);
    expect(await main(['convert-mano', fixture('mano', 'MANO_RIGHT_v778.npz'), '-o', out, '--side', 'up'])).toBe(2);
    expect(await main(['convert-mano', fixture('mano', 'bad-hostile.pkl'), '-o', out, '--side', 'left'])).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(listDir(dir)).toEqual(['keep.safetensors']);
  });
});

describe('generated licence-free hand assets (assets/)', () => {
  const ASSETS = resolve(__dirname, '../../assets');
  for (const side of ['left', 'right'] as const) {
    it(`hand-${side}.safetensors loads and validates`, async () => {
      const path = join(ASSETS, `hand-${side}.safetensors`);
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).size).toBeLessThan(3e6);
      const a = await loadManoAsset(path);
      expect(a.side).toBe(side);
      expect(a.numVertices).toBe(778);
      expect(Array.from(a.tipIndices)).toEqual(MANO_TIP_INDICES[side]);
      expect(Array.from(a.parents)).toEqual(MANO_PARENTS);
      const { metadata } = manoFromSafetensors(new Uint8Array(readFileSync(path)), path);
      expect(metadata.licence).toMatch(/licence-free/i);
      // J_regressor rows and skinning rows sum to 1; PCA rows orthonormal.
      for (let j = 0; j < 16; j++) {
        let s = 0;
        for (let v = 0; v < 778; v++) s += a.jRegressor[j * 778 + v];
        expect(s).toBeCloseTo(1, 5);
      }
      for (let v = 0; v < 778; v++) {
        let s = 0;
        for (let k = 0; k < 16; k++) s += a.weights[v * 16 + k];
        expect(s).toBeCloseTo(1, 5);
      }
      for (let i = 0; i < 45; i++)
        for (let k = 0; k < 45; k++) {
          let d = 0;
          for (let c = 0; c < 45; c++) d += a.handsComponents[i * 45 + c] * a.handsComponents[k * 45 + c];
          expect(d).toBeCloseTo(i === k ? 1 : 0, 5);
        }
    });
  }

  it('the committed files are what the generator makes now (npx tsx tools/hand-asset/generate.ts)', () => {
    for (const side of ['left', 'right'] as const) {
      const want = manoToSafetensors(generateHand(side), ASSET_INFO);
      const got = new Uint8Array(readFileSync(join(ASSETS, `hand-${side}.safetensors`)));
      const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      expect(hex(got)).toBe(hex(want));
    }
  });

  it('the right hand posed with the mirrored pose is the mirror image of the left', () => {
    const left = generateHand('left'), right = generateHand('right');
    const pose = (side: 'left' | 'right') => {
      const p = new Array<number>(48).fill(0);
      p[0] = 0.3, p[1] = side === 'left' ? -0.2 : 0.2, p[2] = side === 'left' ? 0.1 : -0.1; // global (x, y, z) -> (x, -y, -z)
      for (let j = 1; j < 16; j++) for (let c = 0; c < 3; c++) p[j * 3 + c] = flexAxis(side, j)[c] * (0.3 + 0.05 * j);
      return p;
    };
    const beta = [0.5, -1, 0.8, 0.2, -0.3, 1, 0, 0.4, -0.6, 0.9];
    const l = manoForward(left, beta, pose('left'), [1, 0, 0], { poseSpace: 'axisAngle', flatHandMean: true });
    const r = manoForward(right, beta, pose('right'), [1, 0, 0], { poseSpace: 'axisAngle', flatHandMean: true });
    const swap = (i: number) => (i === 444 ? 445 : i === 445 ? 444 : i);
    let worst = 0;
    for (let i = 0; i < 778; i++)
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(r.vertices[swap(i) * 3 + c] - (c === 0 ? -1 : 1) * l.vertices[i * 3 + c]));
    expect(worst).toBeLessThan(1e-6);
    // the PCA path too: hands_mean + components are mirrored consistently
    const coeffs = Array.from({ length: 48 }, (_, i) => (i < 3 ? 0 : Math.sin(i)));
    const lp = manoForward(left, beta, coeffs, [1, 0, 0]), rp = manoForward(right, beta, coeffs, [1, 0, 0]);
    for (let j = 0; j < 21; j++) expect(rp.joints3d[j * 3]).toBeCloseTo(-lp.joints3d[j * 3], 6);
  });
});
