/**
 * 2-D drawing of the trained pipeline's hands over the image: the fitted mesh (triangles painted
 * far to near, shaded by their world normal), the rotated box the landmark network saw, the
 * handedness label, the skeleton and the 21 keypoints (on top).
 */
import type { Hand } from '../src/index.ts';
import { colorOf, css, drawSkeleton } from './overlay.ts';

export interface HandsViewOptions {
  mesh: boolean;
  skeleton: boolean;
}

export type DrawnKeypoint = { x: number; y: number; color: [number, number, number] };

function drawMesh(ctx: CanvasRenderingContext2D, h: Hand): void {
  const m = h.mesh;
  if (!m) return;
  const { vertices: v, vertices2d: p, faces: f } = m;
  const n = f.length / 3;
  const order = new Uint32Array(n).map((_, i) => i);
  const depth = new Float32Array(n);
  for (let i = 0; i < n; i++) depth[i] = v[f[3 * i] * 3 + 2] + v[f[3 * i + 1] * 3 + 2] + v[f[3 * i + 2] * 3 + 2];
  order.sort((a, b) => depth[b] - depth[a]); // far (larger z) first
  const tint: [number, number, number] = h.handedness.label === 'Left' ? [120, 170, 255] : [255, 170, 120];
  for (const i of order) {
    const [a, b, c] = [f[3 * i], f[3 * i + 1], f[3 * i + 2]];
    const e1 = [v[b * 3] - v[a * 3], v[b * 3 + 1] - v[a * 3 + 1], v[b * 3 + 2] - v[a * 3 + 2]];
    const e2 = [v[c * 3] - v[a * 3], v[c * 3 + 1] - v[a * 3 + 1], v[c * 3 + 2] - v[a * 3 + 2]];
    const nx = e1[1] * e2[2] - e1[2] * e2[1];
    const ny = e1[2] * e2[0] - e1[0] * e2[2];
    const nz = e1[0] * e2[1] - e1[1] * e2[0];
    const shade = 0.35 + 0.65 * Math.abs(nz) / (Math.hypot(nx, ny, nz) || 1);
    ctx.fillStyle = css([tint[0] * shade, tint[1] * shade, tint[2] * shade], 0.55);
    ctx.beginPath();
    ctx.moveTo(p[a * 2], p[a * 2 + 1]);
    ctx.lineTo(p[b * 2], p[b * 2 + 1]);
    ctx.lineTo(p[c * 2], p[c * 2 + 1]);
    ctx.closePath();
    ctx.fill();
  }
}

/** Draws every hand onto `ctx` (image-sized, cleared first); returns the keypoints drawn, hand by hand. */
export function drawHands(ctx: CanvasRenderingContext2D, hands: readonly Hand[], o: HandsViewOptions): DrawnKeypoint[][] {
  const { width, height } = ctx.canvas;
  ctx.clearRect(0, 0, width, height);
  const unit = Math.max(width, height) / 200;
  return hands.map((h) => {
    if (o.mesh) drawMesh(ctx, h);
    const b = h.box;
    ctx.save();
    ctx.translate(b.cx, b.cy);
    ctx.rotate(b.rotation);
    ctx.setLineDash([2 * unit, 2 * unit]);
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.7)';
    ctx.lineWidth = Math.max(1, unit / 2);
    ctx.strokeRect(-b.width / 2, -b.height / 2, b.width, b.height);
    ctx.restore();
    // The label goes under the skeleton and keypoints, which stay fully visible.
    const label = `${h.handedness.label} ${(100 * h.handedness.score).toFixed(0)} %${h.mesh ? `, fit ${h.mesh.fitErrorMm.mean.toFixed(1)} mm` : ''}`;
    ctx.font = `${Math.round(6 * unit)}px system-ui, sans-serif`;
    const x = Math.min(...h.keypoints.map((k) => k.x));
    const y = Math.min(...h.keypoints.map((k) => k.y)) - 3 * unit;
    ctx.lineWidth = unit;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.8)';
    ctx.strokeText(label, x, Math.max(6 * unit, y));
    ctx.fillStyle = 'white';
    ctx.fillText(label, x, Math.max(6 * unit, y));
    const kp = h.keypoints;
    if (o.skeleton) drawSkeleton(ctx, kp, unit);
    const radius = Math.max(3, 1.6 * unit);
    const drawn = kp.map((k, i) => {
      const c = colorOf(i);
      ctx.fillStyle = css(c);
      ctx.beginPath();
      ctx.arc(k.x, k.y, radius, 0, 2 * Math.PI);
      ctx.fill();
      return { x: k.x, y: k.y, color: c };
    });
    return drawn;
  });
}
