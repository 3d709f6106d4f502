import { Graph, ShapeError } from '../../src/engine/index.ts';
import { buildMano, type ManoParamLayout } from '../../src/model/mano.ts';
import { MANO_TIP_INDICES, manoAsset, randomManoAsset, type HandSide, type ManoAsset } from '../../src/model/manoAsset.ts';
import type { Tensor64 } from '../reference/cpu.ts';
import { axisAngleToMatrix, manoForward } from '../reference/mano.ts';
import { check, type KernelCase, type Mutation, type Rng } from './harness.ts';

const PI = Math.PI;
const fr = Math.fround;
const uni = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();

/** One hand's inputs (values exactly representable in f32, so GPU and reference see the same). */
interface Hand {
  beta: number[];
  pose: number[];
  camera: number[];
}

type PoseGen = (rng: Rng, hand: number) => number[];

const randomPose = (scale: number): PoseGen => (rng) => Array.from({ length: 48 }, () => uni(rng, -scale, scale));
const unitAxis = (rng: Rng) => {
  const a = [uni(rng, -1, 1), uni(rng, -1, 1), uni(rng, -1, 1)];
  const n = Math.hypot(...a) || 1;
  return a.map((x) => x / n);
};
/** Per joint, one of a few degenerate small rotations. */
const tinyPose: PoseGen = (rng) =>
  Array.from({ length: 16 }, (_, k) => {
    switch ((k + Math.floor(rng() * 5)) % 5) {
      case 0: return [0, 0, 0];
      case 1: return [1e-9, 0, 0];
      case 2: return [-1e-9, 1e-9, 1e-9];
      case 3: return unitAxis(rng).map((x) => x * 1e-9);
      default: return unitAxis(rng).map((x) => x * 1e-6);
    }
  }).flat();
/** Per joint, a rotation by pi - 1e-6 or by (f32) pi, about a random or a coordinate axis. */
const nearPiPose: PoseGen = (rng) =>
  Array.from({ length: 16 }, (_, k) => {
    const axis = k % 3 === 0 ? [0, 0, 0].map((_, i) => (i === k % 3 ? 1 : 0)) : unitAxis(rng);
    const sign = rng() < 0.5 ? -1 : 1;
    const angle = (k + Math.floor(rng() * 2)) % 2 ? PI - 1e-6 : PI;
    return axis.map((x) => sign * x * angle);
  }).flat();
const zeroPose: PoseGen = () => new Array<number>(48).fill(0);

interface ManoCaseSpec {
  v: number;
  n: number;
  side: HandSide;
  pose: PoseGen;
  /** Identity PCA and zero mean: the 45 coefficients are the finger axis-angles themselves. */
  identityPca?: boolean;
  layout?: ManoParamLayout;
  channels?: number;
  poseSpace?: 'pca' | 'axisAngle';
  flatHandMean?: boolean;
}

function withIdentityPca(a: ManoAsset): ManoAsset {
  const eye = new Float32Array(45 * 45);
  for (let i = 0; i < 45; i++) eye[i * 46] = 1;
  return manoAsset({ ...a, handsComponents: eye, handsMean: new Float32Array(45) });
}

/** Builds the layer for a random asset and hands and compares with the float64 reference. */
function manoCase(label: string, s: ManoCaseSpec): KernelCase {
  return {
    name: `mano ${label} (V=${s.v}, ${s.side}, batch ${s.n})`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        let asset = randomManoAsset(Math.floor(rng() * 2 ** 31), s.v, s.side);
        if (s.identityPca) asset = withIdentityPca(asset);
        const layout = s.layout ?? { beta: 0, pose: 10, camera: 58 };
        const c = s.channels ?? 61;
        const hands: Hand[] = Array.from({ length: s.n }, (_, i) => ({
          beta: Array.from({ length: 10 }, () => fr(uni(rng, -2, 2))),
          pose: s.pose(rng, i).map(fr),
          camera: [fr(uni(rng, 0.5, 4)), fr(uni(rng, -0.2, 0.2)), fr(uni(rng, -0.2, 0.2))],
        }));
        // Unused channels hold junk so reading the wrong channel shows.
        const params = Float64Array.from({ length: s.n * c }, () => fr(uni(rng, -5, 5)));
        hands.forEach((h, i) => {
          params.set(h.beta, i * c + layout.beta);
          params.set(h.pose, i * c + layout.pose);
          params.set(h.camera, i * c + layout.camera);
        });
        const pt = g.input('params', [s.n, 1, 1, c]);
        const out = buildMano(g, asset, pt, { layout: s.layout, poseSpace: s.poseSpace, flatHandMean: s.flatHandMean });
        const V = s.v;
        const verts: Tensor64 = { shape: [s.n, 3, V, 1], data: new Float64Array(s.n * 3 * V) };
        const j3: Tensor64 = { shape: [s.n, 3, 21, 1], data: new Float64Array(s.n * 3 * 21) };
        const j2: Tensor64 = { shape: [s.n, 2, 21, 1], data: new Float64Array(s.n * 2 * 21) };
        hands.forEach((h, n) => {
          const r = manoForward(asset, h.beta, h.pose, h.camera, { poseSpace: s.poseSpace, flatHandMean: s.flatHandMean });
          for (let v = 0; v < V; v++) for (let k = 0; k < 3; k++) verts.data[(n * 3 + k) * V + v] = r.vertices[v * 3 + k];
          for (let j = 0; j < 21; j++) {
            for (let k = 0; k < 3; k++) j3.data[(n * 3 + k) * 21 + j] = r.joints3d[j * 3 + k];
            for (let k = 0; k < 2; k++) j2.data[(n * 2 + k) * 21 + j] = r.joints2d[j * 2 + k];
          }
        });
        return {
          inputs: [[pt, { shape: [s.n, c, 1, 1], data: params }]],
          outputs: [[out.vertices, verts], [out.joints3d, j3], [out.joints2d, j2]],
          atol: 1e-5,
          rtol: 0,
        };
      }),
  };
}

function expectThrow(what: string, fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof ShapeError && pattern.test(e.message)) return;
    throw new Error(`${what}: expected a ShapeError matching ${pattern}, got ${e}`);
  }
  throw new Error(`${what}: expected a ShapeError matching ${pattern}, nothing was thrown`);
}

const structural: KernelCase[] = [
  {
    name: 'mano: reference sanity (rest pose gives the template, a quarter turn about z)',
    run: async () => {
      const R = axisAngleToMatrix([0, 0, PI / 2]);
      const want = [0, -1, 0, 1, 0, 0, 0, 0, 1];
      if (R.some((x, i) => Math.abs(x - want[i]) > 1e-7)) throw new Error(`rotation about z by pi/2 is [${R}]`);
      const a = withIdentityPca(randomManoAsset(5, 30, 'left'));
      const r = manoForward(a, new Array(10).fill(0), new Array(48).fill(0), [2, 0, 0]);
      for (let i = 0; i < 90; i++)
        if (Math.abs(r.vertices[i] - a.vTemplate[i]) > 1e-8) throw new Error(`rest pose vertex value ${i}: ${r.vertices[i]} vs template ${a.vTemplate[i]}`);
      const tip = a.tipIndices[4];
      for (let k = 0; k < 3; k++) {
        let j0 = 0;
        for (let v = 0; v < 30; v++) j0 += a.jRegressor[v] * a.vTemplate[v * 3 + k];
        if (Math.abs(r.joints3d[k] - j0) > 1e-12) throw new Error('joint 0 is not J_regressor row 0 . v_template');
        if (Math.abs(r.joints3d[60 + k] - a.vTemplate[tip * 3 + k]) > 1e-8) throw new Error('joint 20 is not the little fingertip');
      }
      if (Math.abs(r.joints2d[0] - (2 * r.joints3d[0] + 1) / 2) > 1e-12) throw new Error('projection');
    },
  },
  {
    name: 'mano: buildMano adds exactly 2 dispatches for a batch (and graph-tensor intermediates)',
    run: async () => {
      for (const n of [1, 5]) {
        const g = new Graph();
        const x = g.input('coeffs', [n, 1, 1, 61]);
        const before = g.nodes.length;
        const out = buildMano(g, randomManoAsset(1, 32, 'left'), x);
        const added = g.nodes.length - before;
        if (added !== 2) throw new Error(`buildMano added ${added} dispatches for batch ${n}, expected 2`);
        const want = { vertices: [n, 32, 1, 3], joints3d: [n, 21, 1, 3], joints2d: [n, 21, 1, 2] };
        for (const [k, shape] of Object.entries(want)) {
          const t = out[k as keyof typeof want];
          if (t.shape.join() !== shape.join()) throw new Error(`${k} is [${t.shape}], expected [${shape}]`);
        }
        const names = g.tensors.map((t) => `${t.name}[${t.shape}]`).join(' ');
        if (!names.includes(`mano.pose.transforms[${n},16,1,12]`) || !names.includes(`mano.pose.feature[${n},1,1,135]`))
          throw new Error(`intermediate tensors missing: ${names}`);
      }
    },
  },
  {
    name: 'mano: asset and layout validation name what is wrong',
    run: async () => {
      const a = randomManoAsset(3, 20, 'right');
      for (const key of ['vTemplate', 'shapedirs', 'posedirs', 'jRegressor', 'weights', 'handsComponents', 'handsMean'] as const) {
        const short = { ...a, numVertices: 20, [key]: a[key].subarray(1) };
        expectThrow(key, () => manoAsset(short), new RegExp(`${key} has`));
      }
      expectThrow('faces', () => manoAsset({ ...a, faces: a.faces.subarray(1) }), /faces has/);
      expectThrow('face index', () => manoAsset({ ...a, faces: Uint32Array.from([0, 1, 20]) }), /faces\[2\] = 20/);
      expectThrow('parents', () => manoAsset({ ...a, parents: [-1, 0, 1, 3, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14] }), /parents\[3\]/);
      expectThrow('parents length', () => manoAsset({ ...a, parents: [-1, 0, 1] }), /parents has 3/);
      expectThrow('tips', () => manoAsset({ ...a, tipIndices: [1, 2, 3, 4, 20] }), /tipIndices\[4\] = 20/);
      expectThrow('tips length', () => manoAsset({ ...a, tipIndices: [1, 2, 3, 4] }), /tipIndices has 4/);
      expectThrow('NaN', () => manoAsset({ ...a, handsMean: new Float32Array(45).fill(NaN) }), /handsMean\[0\] is NaN/);
      const g = new Graph();
      expectThrow('layout', () => buildMano(g, a, g.input('p', [1, 1, 1, 58])), /camera \(3 values at channel 58\) does not fit/);
      expectThrow('unchecked asset', () => buildMano(g, { ...a, weights: a.weights.subarray(2) }, g.input('r', [1, 1, 1, 61])), /weights has 318 values/);
      expectThrow('spatial', () => buildMano(g, a, g.input('q', [1, 2, 1, 61])), /must be \[N, 1, 1, C\]/);
      for (const side of ['left', 'right'] as const) {
        const real = randomManoAsset(4, 778, side);
        if ([...real.tipIndices].join() !== MANO_TIP_INDICES[side].join())
          throw new Error(`778-vertex ${side} tips [${[...real.tipIndices]}] are not the doc's [${MANO_TIP_INDICES[side]}]`);
        if (real.faces.length !== 1538 * 3) throw new Error(`778-vertex asset has ${real.faces.length / 3} faces, expected 1538`);
        for (let v = 0; v < 778; v++) {
          let s = 0;
          for (let k = 0; k < 16; k++) s += real.weights[v * 16 + k];
          if (Math.abs(s - 1) > 1e-5) throw new Error(`weights row ${v} sums to ${s}`);
        }
      }
    },
  },
];

export const manoCases: KernelCase[] = [
  manoCase('random pose', { v: 64, n: 1, side: 'right', pose: randomPose(1.5) }),
  manoCase('random pose', { v: 64, n: 3, side: 'left', pose: randomPose(1.5) }),
  manoCase('large angles (> pi, wraps)', { v: 48, n: 2, side: 'right', pose: randomPose(4) }),
  manoCase('exact zero pose', { v: 64, n: 1, side: 'right', pose: zeroPose, identityPca: true }),
  manoCase('angles 0, 1e-9, 1e-6', { v: 64, n: 3, side: 'left', pose: tinyPose, identityPca: true }),
  manoCase('angles pi - 1e-6 and pi', { v: 64, n: 3, side: 'right', pose: nearPiPose, identityPca: true }),
  manoCase('angles pi - 1e-6 and pi', { v: 64, n: 1, side: 'left', pose: nearPiPose, identityPca: true }),
  manoCase('real size', { v: 778, n: 2, side: 'left', pose: randomPose(1.5) }),
  manoCase('plain params, own layout, axis-angle pose, flat mean', {
    v: 40, n: 2, side: 'right', pose: randomPose(1.2), channels: 66,
    layout: { camera: 1, pose: 8, beta: 56 }, poseSpace: 'axisAngle', flatHandMean: true,
  }),
  manoCase('axis-angle pose with mean', { v: 24, n: 1, side: 'left', pose: randomPose(1), poseSpace: 'axisAngle' }),
  ...structural,
];

/**
 * Plausible MANO kernel bugs, each with the case that must catch it (for test/kernels/mutation.test.ts
 * style checks). The harness mutates every node's WGSL, so kernels a mutant does not target get a
 * harmless comment; a stale pattern leaves the target unchanged and the case then passes (caught
 * by checking that the mutant fails with a comparison error, not some other error).
 */
const only = (f: Mutation): Mutation => (s) => {
  const m = f(s);
  return m === s ? `${s}\n// not targeted by this mutant` : m;
};
export const manoMutants: [string, string, Mutation][] = [
  ['wrong parent (joint 3 hangs off joint 1)', 'mano random pose (V=64, right', only((s) => s.replace('array<i32, 16>(-1, 0, 1, 2,', 'array<i32, 16>(-1, 0, 1, 1,'))],
  ['transposed rotation in the chain', 'mano random pose (V=64, right', only((s) => s.replace(/rot\[t \* 3u\] = r0;\s*rot\[t \* 3u \+ 1u\] = r1;\s*rot\[t \* 3u \+ 2u\] = r2;/,
    'rot[t * 3u] = vec3<f32>(r0.x, r1.x, r2.x); rot[t * 3u + 1u] = vec3<f32>(r0.y, r1.y, r2.y); rot[t * 3u + 2u] = vec3<f32>(r0.z, r1.z, r2.z);'))],
  ['1e-8 dropped from the angle', 'exact zero pose', only((s) => s.replace(/length\(a \+ vec3<f32>\([^)]*\)\)/, 'length(a)'))],
  ['full angle instead of half', 'angles pi - 1e-6 and pi (V=64, right', only((s) => s.replace('let h = angle * 0.5;', 'let h = angle;'))],
  ['rest pose not removed (A = G)', 'mano random pose (V=64, left', only((s) => s.replace(/g(\d)\.w - dot\(g\d\.xyz, jt\)/g, 'g$1.w'))],
  ['pose feature column-major', 'mano random pose (V=64, right', only((s) => s.replace('feat[b + 1u] = r0.y;', 'feat[b + 1u] = r1.x;'))],
  ['last feature vec4 skipped in the pose blend', 'mano random pose (V=64, right', only((s) => s.replace('q < 34u; q++', 'q < 33u; q++'))],
  ['skinning weights transposed', 'mano random pose (V=64, left', only((s) => s.replace('let b = (q * 4u + l) * 3u;', 'let b = (l * 4u + q) * 3u;'))],
  ['fingertip joints not written', 'mano random pose (V=64, right', only((s) => s.replace(/if \(vi == (\d+)u\)/g, 'if (vi == $1u + 1u)'))],
  ['projection without +1', 'mano random pose (V=64, left', only((s) => s.replace(/\+ 1\.0\) \* 0\.5/g, ') * 0.5'))],
  ['beta ignored by the joints', 'mano random pose (V=64, right', only((s) => s.replace('joint[t] = j;', 'joint[t] = C[2070u + t];'))],
];
