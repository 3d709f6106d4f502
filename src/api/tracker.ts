/**
 * Video mode: a hand tracker over an estimator with a detector. The detector runs on the first
 * frame, then every `redetectEvery` frames, and whenever a hand's confidence (mean heat-map peak
 * of its 21 keypoints) drops below `minConfidence` or no hand is tracked; in between, each hand's
 * next box is the bounding box of its current keypoints, so a frame costs one batched HIU-DMTL
 * pass and no detector pass. Keypoints are smoothed per hand with a One Euro filter
 * (./oneEuro.ts) on the caller's timestamps (or performance.now()).
 */
import { EstimateOptionsError, EstimatorDisposedError } from './errors.ts';
import type { Box, CropSquare, EstimateAllOptions, HandEstimate, HandEstimator, ImageKeypoint } from './estimator.ts';
import { OneEuroFilter, type OneEuroOptions } from './oneEuro.ts';
import type { HandImageSource } from './sources.ts';
import { CallQueue } from './callQueue.ts';
import { boxOverlapsImage, checkHands, checkKnownKeys, checkOneEuro, shown } from './options.ts';

export interface HandTrackerOptions {
  /** Handedness, as estimateAll()'s `hands` (one for all, or per hand left to right). Default 'left'. */
  hands?: EstimateAllOptions['hands'];
  /** Re-detect every N frames even when confident (0: only when confidence drops). Default 30. */
  redetectEvery?: number;
  /** A hand whose mean keypoint peak (heat-map value, not bounded to [0, 1]) is below this triggers a re-detection on the next frame; -Infinity never, Infinity always. Default 0.4. */
  minConfidence?: number;
  /** The next box is the keypoints' bounding box scaled by this about its centre. Default 1.1. */
  boxScale?: number;
  /** One Euro filter parameters for the keypoints (image pixels, cutoffs in Hz). */
  filter?: OneEuroOptions;
}

export interface TrackOptions {
  /** Frame time in milliseconds (e.g. VideoFrame.timestamp / 1000); default performance.now(). */
  timestamp?: number;
  /** Handedness for this frame (overrides the tracker's `hands`). */
  hands?: EstimateAllOptions['hands'];
  hand?: 'left' | 'right';
}

export interface TrackedHand {
  /** Stable while the hand is tracked (a re-detected box overlapping the old crop keeps its id). */
  id: number;
  hand: 'left' | 'right';
  /** Smoothed keypoints in image pixels (x, y filtered; the rest as in `raw`). */
  keypoints: ImageKeypoint[];
  /** This frame's unsmoothed estimate. */
  raw: HandEstimate;
  /** The box this frame's crop was made from (image pixels). */
  box: Box;
  /** Mean heat-map peak of the 21 keypoints. */
  confidence: number;
  /** True when this frame's box came from the detector. */
  detected: boolean;
}

interface Track {
  id: number;
  filter: OneEuroFilter;
  crop: CropSquare;
  next: Box;
}

/** Tracks hands across frames; see the file comment. Calls are queued by the estimator. */
export class HandTracker {
  private tracks: Track[] = [];
  private frames = 0;
  private sinceDetect = 0;
  private lowConfidence = false;
  private nextId = 1;
  private detections = 0;
  private readonly o: Required<Omit<HandTrackerOptions, 'hands' | 'filter'>> & Pick<HandTrackerOptions, 'hands' | 'filter'>;

  constructor(readonly estimator: HandEstimator, opts: HandTrackerOptions = {}) {
    const call = 'createHandTracker()';
    checkKnownKeys(call, 'options', opts, ['hands', 'redetectEvery', 'minConfidence', 'boxScale', 'filter']);
    this.o = { redetectEvery: 30, minConfidence: 0.4, boxScale: 1.1, ...opts };
    if (!estimator.info.detector) throw new EstimateOptionsError('createHandTracker(): the estimator has no hand detector; pass createHandEstimator({ ..., detector })');
    if (!(Number.isInteger(this.o.redetectEvery) && this.o.redetectEvery >= 0)) throw new EstimateOptionsError(`${call}: redetectEvery must be an integer >= 0, got ${shown(opts.redetectEvery)}`);
    if (!(typeof this.o.boxScale === 'number' && this.o.boxScale > 0 && Number.isFinite(this.o.boxScale))) throw new EstimateOptionsError(`${call}: boxScale must be a finite number > 0, got ${shown(opts.boxScale)}`);
    // Heat-map peaks are not bounded to [0, 1]; -Infinity (never) and Infinity (always re-detect) are meaningful.
    if (!(typeof this.o.minConfidence === 'number' && !Number.isNaN(this.o.minConfidence))) throw new EstimateOptionsError(`${call}: minConfidence must be a number, got ${shown(opts.minConfidence)}`);
    checkHands(call, opts.hands);
    checkOneEuro(call, 'filter', opts.filter);
  }

  /** Frames tracked so far and detector passes this tracker asked for. */
  get stats(): { frames: number; detections: number; hands: number } {
    return { frames: this.frames, detections: this.detections, hands: this.tracks.length };
  }

  /** Forget every hand: the next frame runs the detector. */
  reset(): void {
    this.tracks = [];
    this.lowConfidence = false;
  }

  private readonly queue = new CallQueue();

  /** Estimates and smooths the hands of one frame. Calls are queued in call order (the tracker's state is per frame). */
  track(frame: HandImageSource, opts: TrackOptions = {}): Promise<TrackedHand[]> {
    try {
      checkKnownKeys('track()', 'options', opts, ['timestamp', 'hands', 'hand']);
      if (opts.timestamp !== undefined && !Number.isFinite(opts.timestamp)) throw new EstimateOptionsError(`track(): timestamp must be a finite number of milliseconds, got ${shown(opts.timestamp)}`);
      checkHands('track()', opts.hands ?? opts.hand);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queue.run(() => this.trackOne(frame, opts));
  }

  private async trackOne(frame: HandImageSource, opts: TrackOptions): Promise<TrackedHand[]> {
    if (this.estimator.isDisposed) throw new EstimatorDisposedError('track(): the estimator was disposed');
    const t = opts.timestamp ?? performance.now();
    const hands = opts.hands ?? opts.hand ?? this.o.hands;
    const every = this.o.redetectEvery;
    const detect = this.tracks.length === 0 || this.lowConfidence || (every > 0 && this.sinceDetect >= every);
    const boxes = detect ? undefined : this.tracks.map((tr) => tr.next);
    const results = await this.estimator.estimateAll(frame, { hands, boxes });
    this.frames++;
    if (detect) {
      this.detections++;
      this.sinceDetect = 1;
    } else this.sinceDetect++;
    const old = this.tracks;
    const used = new Set<Track>();
    const out: TrackedHand[] = [];
    const tracks: Track[] = [];
    results.forEach((r, i) => {
      // Reuse boxes: same order. Re-detection: the old track whose crop overlaps most.
      let tr: Track | undefined = detect ? undefined : old[i];
      if (detect) {
        let best = 0.3;
        for (const o of old)
          if (!used.has(o)) {
            const v = squareIoU(o.crop, r.crop);
            if (v > best) (best = v), (tr = o);
          }
      }
      if (!tr) tr = { id: this.nextId++, filter: new OneEuroFilter(42, this.o.filter), crop: r.crop, next: { x: 0, y: 0, w: 1, h: 1 } };
      used.add(tr);
      const xy = new Float64Array(42);
      r.keypoints.forEach((k, j) => ((xy[2 * j] = k.x), (xy[2 * j + 1] = k.y)));
      const s = tr.filter.filter(xy, t);
      const box = boxes ? boxes[i] : boxOfCrop(r.crop);
      tr.crop = r.crop;
      tr.next = this.nextBox(r, box);
      tracks.push(tr);
      const confidence = r.keypoints.reduce((a, k) => a + k.peak, 0) / Math.max(1, r.keypoints.length);
      out.push({
        id: tr.id, hand: r.hand, raw: r, box, confidence, detected: detect,
        keypoints: r.keypoints.map((k, j) => ({ ...k, x: s[2 * j], y: s[2 * j + 1] })),
      });
    });
    this.tracks = tracks;
    // A next box off the image would be refused by estimateAll(): find the hand again instead.
    this.lowConfidence = out.some((h, i) => !(h.confidence >= this.o.minConfidence) || !boxOverlapsImage(tracks[i].next, h.raw.imageWidth, h.raw.imageHeight));
    return out;
  }

  /** The keypoints' bounding box, scaled; its longer side kept within [0.5, 2] x the current box's. */
  private nextBox(r: HandEstimate, cur: Box): Box {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const k of r.keypoints) (x0 = Math.min(x0, k.x)), (y0 = Math.min(y0, k.y)), (x1 = Math.max(x1, k.x)), (y1 = Math.max(y1, k.y));
    const curSide = Math.max(cur.w, cur.h);
    const side = Math.min(2 * curSide, Math.max(0.5 * curSide, this.o.boxScale * Math.max(x1 - x0, y1 - y0)));
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    if (!Number.isFinite(cx + cy + side)) return cur;
    return { x: cx - side / 2, y: cy - side / 2, w: side, h: side };
  }
}

/** The box whose 1.5x square crop is `c` (estimateAll returns crops; boxes are what we reuse). */
function boxOfCrop(c: CropSquare): Box {
  const side = c.size / 1.5;
  return { x: c.x + (c.size - side) / 2, y: c.y + (c.size - side) / 2, w: side, h: side };
}

function squareIoU(a: CropSquare, b: CropSquare): number {
  const iw = Math.max(0, Math.min(a.x + a.size, b.x + b.size) - Math.max(a.x, b.x));
  const ih = Math.max(0, Math.min(a.y + a.size, b.y + b.size) - Math.max(a.y, b.y));
  const inter = iw * ih;
  const union = a.size * a.size + b.size * b.size - inter;
  return union > 0 ? inter / union : 0;
}

/** A tracker for video frames (see HandTracker). The estimator needs a detector. */
export function createHandTracker(estimator: HandEstimator, opts: HandTrackerOptions = {}): HandTracker {
  return new HandTracker(estimator, opts);
}
