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
import { ShapeError } from '../engine/index.ts';
import { quoteUntrusted } from '../util/untrusted.ts';
import { manoAsset, tipIndicesFor, MANO_JOINTS, MANO_PCA, MANO_POSE_FEATURES, MANO_SHAPE, MANO_TIP_INDICES, type HandSide, type ManoAsset } from '../model/manoAsset.ts';
import { headerLength, parseHeader, writeSafetensors } from './safetensors.ts';
import { bufferSource, readAllBytes, type ByteSource } from './source.ts';
import { NdArray, NotRead, NpzFile, pickledArray, unpickleMano } from './pyArrays.ts';

export { NdArray, NpzFile, PyObjectStub, SparseMatrix, decodeArray, manoPickleGlobals, unpickleMano, parseNpyAny } from './pyArrays.ts';

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

/**
 * Vertex and triangle counts a hand asset may have. At least 16 vertices: five distinct fingertips
 * and a joint regressor need a mesh of some size (randomManoAsset's minimum; MANO has 778). At most
 * 65536 vertices and 262144 triangles: this bounds every array a reader decodes (posedirs, the
 * largest, is V x 3 x 135) whatever a file declares.
 */
export const MIN_HAND_VERTICES = 16;
export const MAX_HAND_VERTICES = 65536;
export const MAX_HAND_FACES = 4 * MAX_HAND_VERTICES;
/** Largest MANO file read (MANO_RIGHT.pkl is 3.8 MB; MAX_HAND_VERTICES in float64 stays under 300 MB). */
export const MAX_MANO_FILE_BYTES = 512 * 1024 * 1024;

/** MANO's arrays: key, meaning, shape for V vertices (-1: the triangle count F). */
const KEYS: [key: string, meaning: string, shape: (V: number) => number[]][] = [
  ['v_template', 'rest mesh, V x 3', (V) => [V, 3]],
  ['shapedirs', 'shape blend shapes, V x 3 x 10', (V) => [V, 3, MANO_SHAPE]],
  ['posedirs', 'pose blend shapes, V x 3 x 135', (V) => [V, 3, MANO_POSE_FEATURES]],
  ['J_regressor', 'joint regressor, 16 x V', (V) => [MANO_JOINTS, V]],
  ['weights', 'skinning weights, V x 16', (V) => [V, MANO_JOINTS]],
  ['kintree_table', 'kinematic tree, 2 x 16', () => [2, MANO_JOINTS]],
  ['f', 'triangles, F x 3', () => [-1, 3]],
  ['hands_components', 'pose PCA basis, 45 x 45', () => [MANO_PCA, MANO_PCA]],
  ['hands_mean', 'mean finger pose, 45', () => [MANO_PCA]],
];

/** Room for the .npy header in front of an entry's values (numpy writes 128 bytes or so). */
const NPY_HEADER_ROOM = 65536 + 12;

/**
 * The MANO arrays of an .npz and nothing else: v_template first (it gives V), then each array with
 * its declared size bounded by what V vertices need (8 bytes a value at most), so neither an
 * unneeded nor an oversized entry is ever inflated. Other entries are listed as NotRead.
 */
async function readManoNpz(source: ByteSource): Promise<Map<string, unknown>> {
  const npz = await NpzFile.open(source);
  const dict = new Map<string, unknown>(npz.keys.map((k) => [k, new NotRead(`${k}.npy`)]));
  const room = (values: number) => values * 8 + NPY_HEADER_ROOM;
  const get = async (key: string, values: number) => {
    if (npz.has(key)) dict.set(key, await npz.array(key, room(values)));
  };
  await get('v_template', MAX_HAND_VERTICES * 3);
  const vt = dict.get('v_template');
  const V = vt instanceof NdArray && vt.shape.length === 2 ? vt.shape[0] : 0;
  if (V < MIN_HAND_VERTICES || V > MAX_HAND_VERTICES) return dict; // manoAssetFromDict says what is wrong with v_template
  for (const [key, , shape] of KEYS.slice(1)) {
    const values = shape(V).reduce((a, d) => a * (d < 0 ? MAX_HAND_FACES : d), 1);
    if (key === 'J_regressor' && !npz.has(key)) {
      const sparse = await npz.sparse(key, room(values));
      if (sparse) dict.set(key, sparse);
    } else await get(key, values);
  }
  return dict;
}

/** Builds and validates a ManoAsset from MANO's keys (values: NdArray, SparseMatrix, or pickled chumpy/scipy stubs). */
export function manoAssetFromDict(dict: Map<string, unknown>, name: string, opts: ManoReadOptions = {}): ManoAsset {
  const side = opts.side ?? sideFromName(name);
  if (!side) throw new Error(`${name}: cannot tell the hand side from the file name (expected MANO_LEFT / MANO_RIGHT in it): pass --side left|right`);
  if (side !== 'left' && side !== 'right') throw new Error(`${name}: side must be left or right, got ${quoteUntrusted(side)}`);
  const need = (key: string, meaning: string) => {
    if (dict.has(key)) return;
    const keys = [...dict.keys()].map(String).sort();
    const present = keys.slice(0, 20).map((k) => quoteUntrusted(k)).join(', ') + (keys.length > 20 ? `, ... (${keys.length} in all)` : '');
    throw new Error(`${name}: missing '${key}' (${meaning}); the file has: ${present || 'no keys'}`);
  };
  // v_template first: it gives V, which every other shape follows. Shapes are checked before any
  // values are decoded (NdArray decodes on first use of .data).
  need(KEYS[0][0], KEYS[0][1]);
  const vt = pickledArray(dict.get('v_template'), 'v_template', name);
  const V = vt.shape[0];
  if (vt.shape.length !== 2 || vt.shape[1] !== 3 || !(V >= MIN_HAND_VERTICES && V <= MAX_HAND_VERTICES))
    throw new Error(`${name}: 'v_template' has shape [${vt.shape.join(', ')}], expected V x 3 with V from ${MIN_HAND_VERTICES} to ${MAX_HAND_VERTICES}`);
  for (const [key, meaning] of KEYS) need(key, meaning);
  const arrays = new Map<string, NdArray>();
  for (const [key, , shapeFor] of KEYS) {
    const want = shapeFor(V);
    const a = pickledArray(dict.get(key), key, name, want);
    // A 1-D want (hands_mean) also accepts [1, 45] and [45, 1], as MANO files have them.
    const got = want.length === 1 ? a.shape.filter((d) => d !== 1) : a.shape;
    if (got.length !== want.length || got.some((d, i) => want[i] >= 0 && d !== want[i])) {
      const w = want.map((d) => (d < 0 ? 'F' : String(d))).join(' x ');
      throw new Error(`${name}: '${key}' has shape [${a.shape.join(', ')}], expected ${w}${key === 'v_template' || want.length === 1 || !want.includes(V) ? '' : ` (V = ${V} from v_template)`}`);
    }
    arrays.set(key, a);
  }
  const kt = arrays.get('kintree_table')!;
  const f = arrays.get('f')!;
  const F = f.shape[0];
  if (!(F >= 1 && F <= MAX_HAND_FACES)) throw new Error(`${name}: 'f' has shape [${f.shape.join(', ')}]: a hand mesh needs from 1 to ${MAX_HAND_FACES} triangles`);

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
  return named(name, () => manoAsset({
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
  }));
}

/** Runs manoAsset()'s checks with the file named in any ShapeError they raise. */
function named<T>(name: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof ShapeError) throw new ShapeError(`${name}: ${e.message}`);
    throw e;
  }
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
    throw new Error(`${name}: not a hand asset (metadata format ${quoteUntrusted(md.format)}, architecture ${quoteUntrusted(md.architecture)}; expected '${MANO_FORMAT}', '${MANO_ARCHITECTURE}': convert MANO files with hiu convert-mano)`);
  }
  if (md.version !== MANO_FORMAT_VERSION) throw new Error(`${name}: hand asset version ${quoteUntrusted(md.version)} is not supported (this build reads ${MANO_FORMAT_VERSION})`);
  const side = opts.side ?? md.side;
  if (side !== 'left' && side !== 'right') throw new Error(`${name}: metadata side ${quoteUntrusted(side)} is not 'left' or 'right'`);
  const get = (key: string, dtype: 'F32' | 'I32' | 'U32') => {
    const t = header.tensors.find((x) => x.name === key);
    if (!t) throw new Error(`${name}: missing tensor '${key}'`);
    if (t.dtype !== dtype) throw new Error(`${name}: tensor '${key}' is ${quoteUntrusted(t.dtype)}, expected ${dtype}`);
    if (header.dataStart + t.end > bytes.length) throw new Error(`${name}: truncated safetensors file: tensor '${key}' incomplete`);
    const raw = bytes.slice(header.dataStart + t.begin, header.dataStart + t.end); // aligned copy
    return dtype === 'F32' ? new Float32Array(raw.buffer) : dtype === 'I32' ? new Int32Array(raw.buffer) : new Uint32Array(raw.buffer);
  };
  const asset = named(name, () => manoAsset({
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
  }));
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
  if (kind === 'npz') return manoAssetFromDict(await readManoNpz(bufferSource(bytes, name)), name, opts);
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
