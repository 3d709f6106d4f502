/** Argument checks for estimate()/estimateAll(), and the crop rule they share. */
import { EstimateOptionsError } from './errors.ts';
import type { Box, CropSquare, EstimateAllOptions, EstimateOptions } from './types.ts';

/** Handedness of hand i under EstimateAllOptions.hands. */
export function handAt(hands: EstimateAllOptions['hands'], i: number): 'left' | 'right' {
  if (hands === undefined) return 'left';
  if (typeof hands === 'string') return hands;
  return hands[Math.min(i, hands.length - 1)];
}

export function checkAllOptions(o: EstimateAllOptions, maxHands: number): void {
  if (!o || typeof o !== 'object') throw new EstimateOptionsError('estimateAll(): options must be an object');
  const h = o.hands;
  const okHand = (x: unknown) => x === 'left' || x === 'right';
  if (h !== undefined && !(okHand(h) || (Array.isArray(h) && h.length > 0 && h.every(okHand))))
    throw new EstimateOptionsError(`estimateAll(): hands must be 'left', 'right' or a non-empty array of them, got ${JSON.stringify(h)}`);
  if (o.output !== undefined && o.output !== 'cpu' && o.output !== 'gpu') throw new EstimateOptionsError(`estimateAll(): output must be 'cpu' or 'gpu', got ${JSON.stringify(o.output)}`);
  if (o.boxes !== undefined) {
    if (!Array.isArray(o.boxes) || o.boxes.length > maxHands) throw new EstimateOptionsError(`estimateAll(): boxes must be an array of at most maxHands = ${maxHands} boxes`);
    for (const b of o.boxes)
      if (!b || ![b.x, b.y, b.w, b.h].every(Number.isFinite) || !(b.w > 0 && b.h > 0))
        throw new EstimateOptionsError(`estimateAll(): every box must be { x, y, w, h } with finite numbers and w, h > 0, got ${JSON.stringify(b)}`);
  }
}

export function checkOptions(o: EstimateOptions): void {
  if (!o || typeof o !== 'object') throw new EstimateOptionsError("estimate(): pass options { hand: 'left' | 'right' }");
  if (o.hand !== 'left' && o.hand !== 'right') throw new EstimateOptionsError(`estimate(): hand must be 'left' or 'right', got ${JSON.stringify(o.hand)}`);
  if (o.output !== undefined && o.output !== 'cpu' && o.output !== 'gpu') throw new EstimateOptionsError(`estimate(): output must be 'cpu' or 'gpu', got ${JSON.stringify(o.output)}`);
  if (o.box !== undefined) {
    const b = o.box;
    if (!b || ![b.x, b.y, b.w, b.h].every(Number.isFinite) || !(b.w > 0 && b.h > 0))
      throw new EstimateOptionsError(`estimate(): box must be { x, y, w, h } with finite numbers and w, h > 0, got ${JSON.stringify(b)}`);
  }
}

/** The square crop: 1.5 x the box's longer side around its centre, or the centred largest square. */
export function cropFor(width: number, height: number, box?: Box): CropSquare {
  if (!box) {
    const size = Math.min(width, height);
    return { x: (width - size) / 2, y: (height - size) / 2, size };
  }
  const size = 1.5 * Math.max(box.w, box.h);
  return { x: box.x + box.w / 2 - size / 2, y: box.y + box.h / 2 - size / 2, size };
}
