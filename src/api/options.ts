import { checkPolicy } from '../engine/variants.ts';
/**
 * Argument checks of the embedding API, for both families, in one place: option objects (an
 * unknown name such as `boxx` is an error, never ignored), boxes (finite, positive, and
 * overlapping the image), and the crop rule estimate() and estimateAll() share. Every refusal is
 * an EstimateOptionsError naming the call and the option.
 */
import { quoteUntrusted } from '../util/untrusted.ts';
import { EstimateOptionsError } from './errors.ts';
import { OneEuroFilter, type OneEuroOptions } from './oneEuro.ts';
import type { Box, CropSquare, EstimateAllOptions, EstimateOptions } from './types.ts';

/** A caller's value in a message: numbers as they are, strings quoted and escaped, objects described (never stringified). */
export function shown(v: unknown): string {
  if (typeof v === 'string') return quoteUntrusted(v);
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return String(v);
  return Array.isArray(v) ? `an array of ${v.length}` : `a ${typeof v === 'function' ? 'function' : 'non-array object'}`;
}

/** Throws unless `o` is a plain options object whose every key is in `known`. */
export function checkKnownKeys(call: string, what: string, o: unknown, known: readonly string[], hint = ''): void {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new EstimateOptionsError(`${call}: ${what} must be an object, got ${shown(o)}`);
  for (const k of Object.keys(o))
    if (!known.includes(k)) throw new EstimateOptionsError(`${call}: unknown option ${quoteUntrusted(k)} in ${what} (known: ${known.join(', ')})${hint}`);
}

/** Options every family takes: a progress callback, an AbortSignal, a GPUDevice. */
export function checkCommon(call: string, o: { onProgress?: unknown; signal?: unknown; device?: unknown; weightPrecision?: unknown; kernelVariants?: unknown }): void {
  if (o.weightPrecision !== undefined && o.weightPrecision !== 'f32' && o.weightPrecision !== 'f16')
    throw new EstimateOptionsError(`${call}: weightPrecision must be 'f32' or 'f16', got ${shown(o.weightPrecision)}`);
  if (o.kernelVariants !== undefined) {
    try {
      checkPolicy(o.kernelVariants);
    } catch (e) {
      throw new EstimateOptionsError(`${call}: kernelVariants: ${(e as Error).message.replace(/^variants: /, '')}`, { cause: e });
    }
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new EstimateOptionsError(`${call}: onProgress must be a function, got ${shown(o.onProgress)}`);
  if (o.signal !== undefined && typeof (o.signal as AbortSignal | null)?.aborted !== 'boolean') throw new EstimateOptionsError(`${call}: signal must be an AbortSignal, got ${shown(o.signal)}`);
  if (o.device !== undefined && typeof (o.device as GPUDevice | null)?.createBuffer !== 'function') throw new EstimateOptionsError(`${call}: device must be a GPUDevice, got ${shown(o.device)}`);
}

/** One Euro options (keys and numbers), as an EstimateOptionsError. */
export function checkOneEuro(call: string, what: string, o: OneEuroOptions | undefined): void {
  if (o === undefined) return;
  checkKnownKeys(call, what, o, ['minCutoff', 'beta', 'dCutoff']);
  try {
    new OneEuroFilter(1, o);
  } catch (e) {
    throw new EstimateOptionsError(`${call}: ${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** True when the box covers some of the W x H image (a box wholly outside it shows nothing of it). */
export function boxOverlapsImage(b: Box, width: number, height: number): boolean {
  return b.x < width && b.x + b.w > 0 && b.y < height && b.y + b.h > 0;
}

/** A box of finite numbers with w, h > 0, overlapping the image when its size is known. */
export function checkBox(call: string, what: string, b: Box | null | undefined, image?: { width: number; height: number }): void {
  if (!b || typeof b !== 'object' || ![b.x, b.y, b.w, b.h].every(Number.isFinite) || !(b.w > 0 && b.h > 0))
    throw new EstimateOptionsError(
      `${call}: ${what} must be { x, y, w, h } with finite numbers and w, h > 0, got ${b && typeof b === 'object' ? `{ x: ${shown(b.x)}, y: ${shown(b.y)}, w: ${shown(b.w)}, h: ${shown(b.h)} }` : shown(b)}`,
    );
  if (image && !boxOverlapsImage(b, image.width, image.height))
    throw new EstimateOptionsError(`${call}: ${what} { x: ${b.x}, y: ${b.y}, w: ${b.w}, h: ${b.h} } lies entirely outside the ${image.width}x${image.height} image`);
}

/** Handedness of hand i under EstimateAllOptions.hands. */
export function handAt(hands: EstimateAllOptions['hands'], i: number): 'left' | 'right' {
  if (hands === undefined) return 'left';
  if (typeof hands === 'string') return hands;
  return hands[Math.min(i, hands.length - 1)];
}

/** `hands` of estimateAll() and the tracker: 'left', 'right' or a non-empty array of them. */
export function checkHands(call: string, h: unknown): void {
  const okHand = (x: unknown) => x === 'left' || x === 'right';
  if (h !== undefined && !(okHand(h) || (Array.isArray(h) && h.length > 0 && h.every(okHand))))
    throw new EstimateOptionsError(`${call}: hands must be 'left', 'right' or a non-empty array of them, got ${shown(h)}`);
}

function checkOutput(call: string, output: unknown): void {
  if (output !== undefined && output !== 'cpu' && output !== 'gpu') throw new EstimateOptionsError(`${call}: output must be 'cpu' or 'gpu', got ${shown(output)}`);
}

/** estimateAll() options (the caller checks the boxes against the image with checkBox once it knows its size). */
export function checkAllOptions(o: EstimateAllOptions, maxHands: number): void {
  checkKnownKeys('estimateAll()', 'options', o, ['hands', 'boxes', 'output']);
  checkHands('estimateAll()', o.hands);
  checkOutput('estimateAll()', o.output);
  if (o.boxes !== undefined) {
    if (!Array.isArray(o.boxes) || o.boxes.length > maxHands) throw new EstimateOptionsError(`estimateAll(): boxes must be an array of at most maxHands = ${maxHands} boxes`);
    o.boxes.forEach((b, i) => checkBox('estimateAll()', `boxes[${i}]`, b));
  }
}

/** estimate() options (the caller checks the box against the image with checkBox once it knows its size). */
export function checkOptions(o: EstimateOptions): void {
  if (!o || typeof o !== 'object') throw new EstimateOptionsError("estimate(): pass options { hand: 'left' | 'right' }");
  checkKnownKeys('estimate()', 'options', o, ['hand', 'box', 'output']);
  if (o.hand !== 'left' && o.hand !== 'right') throw new EstimateOptionsError(`estimate(): hand must be 'left' or 'right', got ${shown(o.hand)}`);
  checkOutput('estimate()', o.output);
  if (o.box !== undefined) checkBox('estimate()', 'box', o.box);
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
