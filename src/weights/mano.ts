/**
 * MANO hand model files -> ManoAsset (docs/mano-layer.md). Reads, without Python and without
 * executing anything from the file:
 *  - the original Python-2 pickles (MANO_LEFT.pkl / MANO_RIGHT.pkl): a dict of numpy arrays
 *    (`numpy.core.multiarray._reconstruct` + `numpy.dtype` + setstate), `chumpy.ch.Ch` objects (the
 *    array is their stored 'x') and a `scipy.sparse` CSC J_regressor (densified to 16 x V);
 *  - numpy-only "cleaned" pickles (protocol 2-5, `numpy.core` or numpy 2's `numpy._core`);
 *  - `.npz` exports (dense J_regressor, or CSC/CSR parts `J_regressor_data`, `_indices`,
 *    `_indptr`, `_shape` [, `_format`], also spelled `J_regressor.data` ...);
 *  - the engine's own `.safetensors` written by `hiu convert-mano` (and tools/hand-asset).
 *
 * The pickle VM (pickle.ts) runs with a MANO-only allowlist (below); the checkpoint reader keeps
 * its own, stricter one. Globals are inert JavaScript stand-ins: markers and array builders.
 * Never commit a converted MANO file: the MANO licence forbids redistribution.
 */
import { manoAsset, tipIndicesFor, MANO_JOINTS, MANO_PCA, MANO_POSE_FEATURES, MANO_SHAPE, MANO_TIP_INDICES, type HandSide, type ManoAsset } from '../model/manoAsset.ts';
import { headerLength, parseHeader, writeSafetensors } from './safetensors.ts';
import { bufferSource, readAllBytes } from './source.ts';
import { NdArray, pickledArray, readNpz, unpickleMano } from './pyArrays.ts';

export { NdArray, PyObjectStub, decodeArray, manoPickleGlobals, unpickleMano, parseNpyAny, readNpz } from './pyArrays.ts';

/** `__metadata__.format` / `version` / `architecture` of hand asset files. */
export const MANO_FORMAT = 'hiu-mano';
export const MANO_FORMAT_VERSION = '1';
export const MANO_ARCHITECTURE = 'mano-hand';
export const MANO_LICENCE_NOTE =
  'Derived from the MANO model (https://mano.is.tue.mpg.de), licensed for non-commercial research only: do not redistribute this file.';

// ---------------------------------------------------------------------------------------------
// Arrays
// ---------------------------------------------------------------------------------------------
// dict of arrays -> ManoAsset
// ---------------------------------------------------------------------------------------------

/** Side from a file name: MANO_LEFT / MANO_RIGHT (also "mano-left", "hand_right"...), case-insensitive. */
export function sideFromName(name: string): HandSide | undefined {
  const base = name.split(/[\\/]/).pop() ?? name;
  const m = /(?:mano|hand)[_-]?(left|right)/i.exec(base);
  return m ? (m[1].toLowerCase() as HandSide) : undefined;
}

export interface ManoReadOptions {
  /** Overrides the side found in the file name (or the file's metadata). */
  side?: HandSide;
}

const KEYS: [key: string, meaning: string][] = [
  ['v_template', 'rest mesh, V x 3'],
  ['shapedirs', 'shape blend shapes, V x 3 x 10'],
  ['posedirs', 'pose blend shapes, V x 3 x 135'],
  ['J_regressor', 'joint regressor, 16 x V'],
  ['weights', 'skinning weights, V x 16'],
  ['kintree_table', 'kinematic tree, 2 x 16'],
  ['f', 'triangles, F x 3'],
  ['hands_components', 'pose PCA basis, 45 x 45'],
  ['hands_mean', 'mean finger pose, 45'],
];

/** Builds and validates a ManoAsset from MANO's keys (values: NdArray, or pickled chumpy/scipy stubs). */
export function manoAssetFromDict(dict: Map<string, unknown>, name: string, opts: ManoReadOptions = {}): ManoAsset {
  const side = opts.side ?? sideFromName(name);
  if (!side) throw new Error(`${name}: cannot tell the hand side from the file name (expected MANO_LEFT / MANO_RIGHT in it): pass --side left|right`);
  if (side !== 'left' && side !== 'right') throw new Error(`${name}: side must be left or right, got ${JSON.stringify(side)}`);
  const arrays = new Map<string, NdArray>();
  for (const [key, meaning] of KEYS) {
    if (!dict.has(key)) {
      const present = [...dict.keys()].map(String).sort().join(', ');
      throw new Error(`${name}: missing '${key}' (${meaning}); the file has: ${present || 'no keys'}`);
    }
    arrays.set(key, pickledArray(dict.get(key), key, name));
  }
  const vt = arrays.get('v_template')!;
  const V = vt.shape[0];
  const expect = (key: string, want: number[], note = '') => {
    const a = arrays.get(key)!;
    if (a.shape.length !== want.length || a.shape.some((d, i) => want[i] >= 0 && d !== want[i])) {
      const w = want.map((d) => (d < 0 ? 'F' : String(d))).join(' x ');
      throw new Error(`${name}: '${key}' has shape [${a.shape.join(', ')}], expected ${w}${note}`);
    }
    return a;
  };
  if (vt.shape.length !== 2 || vt.shape[1] !== 3 || V < 1) throw new Error(`${name}: 'v_template' has shape [${vt.shape.join(', ')}], expected V x 3`);
  const vNote = ` (V = ${V} from v_template)`;
  expect('shapedirs', [V, 3, MANO_SHAPE], vNote);
  expect('posedirs', [V, 3, MANO_POSE_FEATURES], vNote);
  expect('J_regressor', [MANO_JOINTS, V], vNote);
  expect('weights', [V, MANO_JOINTS], vNote);
  const kt = expect('kintree_table', [2, MANO_JOINTS]);
  const f = expect('f', [-1, 3]);
  expect('hands_components', [MANO_PCA, MANO_PCA]);
  const hm = arrays.get('hands_mean')!;
  if (hm.data.length !== MANO_PCA || hm.shape.length > 2) throw new Error(`${name}: 'hands_mean' has shape [${hm.shape.join(', ')}], expected 45`);

  // kintree_table: row 1 = joint ids, row 0 = parent ids (the root's is -1 or a huge unsigned value).
  const ids = Array.from(kt.data.subarray(MANO_JOINTS));
  const col = new Map(ids.map((id, i) => [id, i]));
  const parents = new Int32Array(MANO_JOINTS);
  for (let k = 0; k < MANO_JOINTS; k++) {
    const p = kt.data[k];
    parents[k] = p < 0 || p >= 2 ** 31 ? -1 : (col.get(p) ?? -2);
    if (parents[k] === -2) throw new Error(`${name}: kintree_table parent id ${p} of joint ${k} is not a joint id`);
  }
  for (let i = 0; i < f.data.length; i++) {
    const x = f.data[i];
    if (!(Number.isInteger(x) && x >= 0 && x < V)) throw new Error(`${name}: 'f' value ${x} at ${i} is not a vertex index (< ${V})`);
  }
  const f32 = (key: string) => Float32Array.from(arrays.get(key)!.data);
  return manoAsset({
    side,
    vTemplate: f32('v_template'),
    shapedirs: f32('shapedirs'),
    posedirs: f32('posedirs'),
    jRegressor: f32('J_regressor'),
    weights: f32('weights'),
    parents,
    faces: Uint32Array.from(f.data),
    handsComponents: f32('hands_components'),
    handsMean: f32('hands_mean'),
    tipIndices: V === 778 ? MANO_TIP_INDICES[side] : tipIndicesFor(side, V),
  });
}

// ---------------------------------------------------------------------------------------------
// safetensors (engine format)
// ---------------------------------------------------------------------------------------------

export interface ManoFileInfo {
  /** SHA-256 of the source file (hex), or a description for generated assets. */
  sourceSha256?: string;
  sourceName?: string;
  /** Licence note; defaults to MANO's (do not redistribute). */
  licence?: string;
  /** Extra metadata strings. */
  extra?: Record<string, string>;
}

/** The asset as a safetensors file: F32 arrays, I32 parents, U32 faces and tips. */
export function manoToSafetensors(a: ManoAsset, info: ManoFileInfo = {}): Uint8Array {
  const V = a.numVertices;
  const metadata: Record<string, string> = {
    format: MANO_FORMAT,
    version: MANO_FORMAT_VERSION,
    architecture: MANO_ARCHITECTURE,
    side: a.side,
    licence: info.licence ?? MANO_LICENCE_NOTE,
    ...(info.sourceSha256 !== undefined ? { source_sha256: info.sourceSha256 } : {}),
    ...(info.sourceName !== undefined ? { source_name: info.sourceName } : {}),
    ...info.extra,
  };
  return writeSafetensors(
    [
      { name: 'v_template', shape: [V, 3], data: a.vTemplate },
      { name: 'shapedirs', shape: [V, 3, MANO_SHAPE], data: a.shapedirs },
      { name: 'posedirs', shape: [V, 3, MANO_POSE_FEATURES], data: a.posedirs },
      { name: 'J_regressor', shape: [MANO_JOINTS, V], data: a.jRegressor },
      { name: 'weights', shape: [V, MANO_JOINTS], data: a.weights },
      { name: 'parents', shape: [MANO_JOINTS], data: a.parents },
      { name: 'f', shape: [a.faces.length / 3, 3], data: a.faces },
      { name: 'hands_components', shape: [MANO_PCA, MANO_PCA], data: a.handsComponents },
      { name: 'hands_mean', shape: [MANO_PCA], data: a.handsMean },
      { name: 'tip_indices', shape: [5], data: a.tipIndices },
    ],
    metadata,
  );
}

/** Parses an engine hand-asset safetensors file (whole bytes). */
export function manoFromSafetensors(bytes: Uint8Array, name: string, opts: ManoReadOptions = {}): { asset: ManoAsset; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${name}: truncated safetensors file`);
  const n = headerLength(bytes.subarray(0, 8), name, bytes.length);
  const header = parseHeader(bytes.subarray(8, 8 + n), name, ['F32', 'I32', 'U32']);
  const md = header.metadata;
  if (md.format !== MANO_FORMAT || md.architecture !== MANO_ARCHITECTURE) {
    throw new Error(`${name}: not a hand asset (metadata format '${md.format}', architecture '${md.architecture}'; expected '${MANO_FORMAT}', '${MANO_ARCHITECTURE}': convert MANO files with hiu convert-mano)`);
  }
  if (md.version !== MANO_FORMAT_VERSION) throw new Error(`${name}: hand asset version ${md.version} is not supported (this build reads ${MANO_FORMAT_VERSION})`);
  const get = (key: string, dtype: 'F32' | 'I32' | 'U32') => {
    const t = header.tensors.find((x) => x.name === key);
    if (!t) throw new Error(`${name}: missing tensor '${key}'`);
    if (t.dtype !== dtype) throw new Error(`${name}: tensor '${key}' is ${t.dtype}, expected ${dtype}`);
    if (header.dataStart + t.end > bytes.length) throw new Error(`${name}: truncated safetensors file: tensor '${key}' incomplete`);
    const raw = bytes.slice(header.dataStart + t.begin, header.dataStart + t.end); // aligned copy
    return dtype === 'F32' ? new Float32Array(raw.buffer) : dtype === 'I32' ? new Int32Array(raw.buffer) : new Uint32Array(raw.buffer);
  };
  const side = opts.side ?? (md.side as HandSide);
  const asset = manoAsset({
    side,
    vTemplate: get('v_template', 'F32') as Float32Array,
    shapedirs: get('shapedirs', 'F32') as Float32Array,
    posedirs: get('posedirs', 'F32') as Float32Array,
    jRegressor: get('J_regressor', 'F32') as Float32Array,
    weights: get('weights', 'F32') as Float32Array,
    parents: get('parents', 'I32') as Int32Array,
    faces: get('f', 'U32') as Uint32Array,
    handsComponents: get('hands_components', 'F32') as Float32Array,
    handsMean: get('hands_mean', 'F32') as Float32Array,
    tipIndices: get('tip_indices', 'U32') as Uint32Array,
  });
  return { asset, metadata: md };
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

export type ManoFileKind = 'pickle' | 'npz' | 'safetensors';

/** Guesses the kind from the first bytes. */
export function sniffManoFile(head: Uint8Array): ManoFileKind | undefined {
  // safetensors first: a header length like 0x0280 starts with the bytes of a protocol-2 pickle.
  if (head.length >= 9 && head[8] === 0x7b && head[4] === 0 && head[5] === 0 && head[6] === 0 && head[7] === 0) return 'safetensors';
  if (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'pickle';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'npz';
  return undefined;
}

/** Reads a MANO pickle / .npz / engine safetensors held in memory. */
export async function readManoFile(bytes: Uint8Array, name: string, opts: ManoReadOptions = {}): Promise<ManoAsset> {
  const kind = sniffManoFile(bytes);
  if (kind === 'pickle') return manoAssetFromDict(unpickleMano(bytes, name), name, opts);
  if (kind === 'npz') return manoAssetFromDict(await readNpz(bufferSource(bytes, name)), name, opts);
  if (kind === 'safetensors') return manoFromSafetensors(bytes, name, opts).asset;
  throw new Error(`${name}: not a MANO file (expected a protocol-2+ pickle such as MANO_RIGHT.pkl, an .npz, or a hand-asset .safetensors)`);
}

export type ManoSource = string | URL | Blob | ArrayBuffer | Uint8Array;

export interface ManoLoadOptions extends ManoReadOptions {
  onProgress?: (p: { loaded: number; total?: number }) => void;
  signal?: AbortSignal;
}

/**
 * Loads a hand asset from a URL, File/Blob, ArrayBuffer/Uint8Array or (Node) a path: normally the
 * `.safetensors` written by `hiu convert-mano` or the licence-free assets/hand-*.safetensors; a MANO
 * pickle or .npz is read too (in the user's browser, never shipped). Returns a validated asset.
 */
export async function loadManoAsset(source: ManoSource, opts: ManoLoadOptions = {}): Promise<ManoAsset> {
  const { bytes, name } = await readAllBytes(source, opts);
  return readManoFile(bytes, name, opts);
}
