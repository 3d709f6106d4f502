/** 2-D overlays on a transparent canvas: the mask, the crop square, the skeleton and keypoints. */
import type { HandEstimate } from '../src/index.ts';

/** Keypoint order: wrist, thumb 1-4, index 1-4, middle 1-4, ring 1-4, little 1-4. */
export const BONES: [number, number][] = [];
for (let f = 0; f < 5; f++) {
  BONES.push([0, 1 + 4 * f]);
  for (let j = 0; j < 3; j++) BONES.push([1 + 4 * f + j, 2 + 4 * f + j]);
}
/** One colour per finger (thumb..little); the wrist is white. */
export const FINGER_COLORS: [number, number, number][] = [[255, 64, 64], [255, 200, 0], [64, 220, 64], [0, 180, 255], [200, 90, 255]];
/** A keypoint's colour: white wrist, one colour per finger. */
export const colorOf = (k: number): [number, number, number] => (k === 0 ? [255, 255, 255] : FINGER_COLORS[Math.floor((k - 1) / 4)]);
export const css = (c: [number, number, number], a = 1) => `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${a})`;

/** The 20 bones as lines, each in its finger's colour. */
export function drawSkeleton(ctx: CanvasRenderingContext2D, kp: readonly { x: number; y: number }[], unit: number): void {
  ctx.lineWidth = Math.max(1.5, unit);
  for (const [a, b] of BONES) {
    ctx.strokeStyle = css(colorOf(b), 0.9);
    ctx.beginPath();
    ctx.moveTo(kp[a].x, kp[a].y);
    ctx.lineTo(kp[b].x, kp[b].y);
    ctx.stroke();
  }
}

export interface OverlayOptions {
  mask: boolean;
  skeleton: boolean;
}

/** Draws onto `ctx` (image-sized, cleared first). Returns the keypoint positions drawn, in canvas pixels. */
export function drawOverlay(ctx: CanvasRenderingContext2D, r: HandEstimate, o: OverlayOptions): { x: number; y: number; color: [number, number, number] }[] {
  const { width, height } = ctx.canvas;
  ctx.clearRect(0, 0, width, height);
  const { crop } = r;
  const unit = Math.max(width, height) / 200;
  if (o.mask) {
    const m = r.mapSize;
    const pixels = new ImageData(m, m);
    for (let i = 0; i < m * m; i++) {
      pixels.data[4 * i] = 40;
      pixels.data[4 * i + 1] = 140;
      pixels.data[4 * i + 2] = 255;
      pixels.data[4 * i + 3] = Math.round(170 * r.maskProb[i]);
    }
    const tmp = new OffscreenCanvas(m, m);
    tmp.getContext('2d')!.putImageData(pixels, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tmp, crop.x, crop.y, crop.size, crop.size);
  }
  ctx.setLineDash([2 * unit, 2 * unit]);
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.8)';
  ctx.lineWidth = Math.max(1, unit / 2);
  ctx.strokeRect(crop.x, crop.y, crop.size, crop.size);
  ctx.setLineDash([]);
  const kp = r.keypoints;
  if (o.skeleton) drawSkeleton(ctx, kp, unit);
  const drawn: { x: number; y: number; color: [number, number, number] }[] = [];
  const radius = Math.max(3, 1.6 * unit);
  kp.forEach((k, i) => {
    const c = colorOf(i);
    ctx.fillStyle = css(c);
    ctx.beginPath();
    ctx.arc(k.x, k.y, radius, 0, 2 * Math.PI);
    ctx.fill();
    if (k.confident) {
      ctx.strokeStyle = 'white';
      ctx.lineWidth = Math.max(1, unit / 2);
      ctx.stroke();
    }
    drawn.push({ x: k.x, y: k.y, color: c });
  });
  return drawn;
}
