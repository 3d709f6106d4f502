#!/usr/bin/env -S npx tsx
/**
 * Looks at the generated hand: poses it with the float64 MANO reference (test/reference/mano.ts)
 * and renders rest and fist with a tiny orthographic software rasteriser (flat shading, z-buffer;
 * back faces in red, so a winding error shows; joints as green dots, fingertips blue).
 *
 *   npx tsx tools/hand-asset/check.ts   -> docs/hand-asset-rest.png, docs/hand-asset-fist.png
 *
 * Also prints mesh checks: every edge shared by exactly two faces with opposite directions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import type { HandSide, ManoAsset } from '../../src/model/manoAsset.ts';
import { manoForward } from '../../test/reference/mano.ts';
import { flexAxis, generateHand } from './generate.ts';

type V3 = [number, number, number];
interface View { right: V3; up: V3; label: string }
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V3): V3 => { const n = Math.hypot(...a); return [a[0] / n, a[1] / n, a[2] / n]; };

/** Renders one panel into `img` at (ox, oy), size S, `scale` pixels per metre, centred on `centre`. */
function renderPanel(img: PNG, ox: number, oy: number, S: number, scale: number, centre: V3, view: View,
  verts: Float64Array, faces: Uint32Array, joints: Float64Array, tips: number): void {
  const r = norm(view.right), u = norm(view.up), t = cross(r, u);
  const V = verts.length / 3;
  const sx = new Float64Array(V), sy = new Float64Array(V), sz = new Float64Array(V);
  const proj = (p: V3) => {
    const d: V3 = [p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]];
    return [S / 2 + scale * (d[0] * r[0] + d[1] * r[1] + d[2] * r[2]), S / 2 - scale * (d[0] * u[0] + d[1] * u[1] + d[2] * u[2]), scale * (d[0] * t[0] + d[1] * t[1] + d[2] * t[2])];
  };
  for (let i = 0; i < V; i++) [sx[i], sy[i], sz[i]] = proj([verts[i * 3], verts[i * 3 + 1], verts[i * 3 + 2]]);
  const zbuf = new Float64Array(S * S).fill(-Infinity);
  const light = norm([0.55, 0.65, 0.5]);
  const put = (x: number, y: number, c: number[]) => {
    const o = ((oy + y) * img.width + ox + x) * 4;
    img.data[o] = c[0], img.data[o + 1] = c[1], img.data[o + 2] = c[2], img.data[o + 3] = 255;
  };
  for (let f = 0; f < faces.length; f += 3) {
    const [a, b, c] = [faces[f], faces[f + 1], faces[f + 2]];
    const e1: V3 = [sx[b] - sx[a], -(sy[b] - sy[a]), sz[b] - sz[a]];
    const e2: V3 = [sx[c] - sx[a], -(sy[c] - sy[a]), sz[c] - sz[a]];
    const n = norm(cross(e1, e2)); // screen space, y up, z toward the viewer
    const front = n[2] > 0;
    const lum = 0.3 + 0.7 * Math.max(0, n[0] * light[0] + n[1] * light[1] + n[2] * light[2]);
    const col = front ? [235 * lum, 190 * lum, 160 * lum] : [200 * lum, 30, 30];
    const x0 = Math.max(0, Math.floor(Math.min(sx[a], sx[b], sx[c]))), x1 = Math.min(S - 1, Math.ceil(Math.max(sx[a], sx[b], sx[c])));
    const y0 = Math.max(0, Math.floor(Math.min(sy[a], sy[b], sy[c]))), y1 = Math.min(S - 1, Math.ceil(Math.max(sy[a], sy[b], sy[c])));
    const area = (sx[b] - sx[a]) * (sy[c] - sy[a]) - (sx[c] - sx[a]) * (sy[b] - sy[a]);
    if (Math.abs(area) < 1e-12) continue;
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5, py = y + 0.5;
        const w0 = ((sx[b] - px) * (sy[c] - py) - (sx[c] - px) * (sy[b] - py)) / area;
        const w1 = ((sx[c] - px) * (sy[a] - py) - (sx[a] - px) * (sy[c] - py)) / area;
        const w2 = 1 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        const z = w0 * sz[a] + w1 * sz[b] + w2 * sz[c];
        if (z <= zbuf[y * S + x]) continue;
        zbuf[y * S + x] = z;
        put(x, y, col);
      }
  }
  for (let j = 0; j < joints.length / 3; j++) {
    const [x, y] = proj([joints[j * 3], joints[j * 3 + 1], joints[j * 3 + 2]]);
    const c = [4, 8, 12, 16, 20].includes(j) && j < tips + 16 ? [40, 80, 255] : [20, 170, 40];
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) {
      const X = Math.round(x) + dx, Y = Math.round(y) + dy;
      if (X >= 0 && X < S && Y >= 0 && Y < S) put(X, Y, c);
    }
  }
}

function render(panels: { asset: ManoAsset; verts: Float64Array; joints: Float64Array; view: View }[], file: string): void {
  const S = 300;
  const img = new PNG({ width: S * panels.length, height: S });
  img.data.fill(255);
  panels.forEach((p, i) => {
    // centre on the vertices' bounding box, fixed scale (0.24 m across a panel)
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let v = 0; v < p.verts.length; v++) lo[v % 3] = Math.min(lo[v % 3], p.verts[v]), hi[v % 3] = Math.max(hi[v % 3], p.verts[v]);
    const centre: V3 = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
    renderPanel(img, i * S, 0, S, S / 0.24, centre, p.view, p.verts, p.asset.faces, p.joints, 5);
    for (let y = 0; y < S; y++) { const o = (y * img.width + i * S) * 4; img.data[o] = img.data[o + 1] = img.data[o + 2] = 180; }
  });
  writeFileSync(file, PNG.sync.write(img, { colorType: 2 }));
  process.stderr.write(`wrote ${file}\n`);
}

function meshCheck(a: ManoAsset): string {
  const directed = new Map<string, number>();
  for (let f = 0; f < a.faces.length; f += 3)
    for (let e = 0; e < 3; e++) {
      const k = `${a.faces[f + e]},${a.faces[f + ((e + 1) % 3)]}`;
      directed.set(k, (directed.get(k) ?? 0) + 1);
    }
  let bad = 0;
  for (const [k, n] of directed) {
    const [x, y] = k.split(',');
    if (n !== 1 || directed.get(`${y},${x}`) !== 1) bad++;
  }
  return bad === 0 ? 'closed and consistently oriented' : `${bad} bad directed edges`;
}

/** Full pose (48, axis-angle, flat hand mean): each finger joint flexed `amount` rad about its axis. */
function flexPose(side: HandSide, amount: (j: number) => number): number[] {
  const pose = new Array<number>(48).fill(0);
  for (let j = 1; j < 16; j++) {
    const a = flexAxis(side, j);
    for (let c = 0; c < 3; c++) pose[j * 3 + c] = a[c] * amount(j);
  }
  return pose;
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  mkdirSync(join(root, 'docs'), { recursive: true });
  const left = generateHand('left'), right = generateHand('right');
  for (const a of [left, right]) process.stderr.write(`${a.side}: ${a.numVertices} vertices, ${a.faces.length / 3} faces, ${meshCheck(a)}\n`);
  const zero = new Array<number>(48).fill(0);
  const beta = new Array<number>(10).fill(0);
  const cam = [1, 0, 0];
  const back: View = { right: [0, 0, 1], up: [1, 0, 0], label: 'back' };
  const backR: View = { right: [0, 0, -1], up: [-1, 0, 0], label: 'back' };
  const side: View = { right: [1, 0, 0], up: [0, 1, 0], label: 'thumb side' };
  const threeQ: View = { right: norm([0.6, 0, 0.8]), up: norm([-0.3, 0.9, 0.22]), label: '3/4' };
  const pose = (a: ManoAsset, p: number[], b = beta, o = { poseSpace: 'axisAngle' as const, flatHandMean: true }) => {
    const r = manoForward(a, b, p, cam, o);
    return { asset: a, verts: r.vertices, joints: r.joints3d };
  };
  const rest = pose(left, zero);
  const restR = pose(right, zero);
  const tipNames = ['thumb', 'index', 'middle', 'ring', 'little'];
  process.stderr.write(`left rest joints (m):\n${Array.from({ length: 21 }, (_, j) => `  ${j}: ${Array.from(rest.joints.subarray(j * 3, j * 3 + 3)).map((x) => x.toFixed(4)).join(', ')}`).join('\n')}\n`);
  process.stderr.write(`tips: ${tipNames.map((n, f) => `${n} ${left.tipIndices[f]}`).join(', ')}\n`);
  render([{ ...rest, view: back }, { ...rest, view: side }, { ...restR, view: backR }, { ...pose(left, zero, [0, 0, 2.5, 0, 0, 0, 0, 0, 0, 0]), view: back }], join(root, 'docs', 'hand-asset-rest.png'));
  const fist = flexPose('left', (j) => (j >= 13 ? [0.5, 0.7, 0.9][j - 13] : 1.2));
  const fistR = flexPose('right', (j) => (j >= 13 ? [0.5, 0.7, 0.9][j - 13] : 1.2));
  // the mean pose through the PCA path (hands_mean + 0 coefficients) too
  const meanPose = pose(left, zero, beta, { poseSpace: 'pca' as never, flatHandMean: false });
  render([
    { ...pose(left, fist), view: back }, { ...pose(left, fist), view: side }, { ...pose(left, fist), view: threeQ },
    { ...pose(right, fistR), view: backR }, { ...meanPose, view: side },
  ], join(root, 'docs', 'hand-asset-fist.png'));
}

main();
