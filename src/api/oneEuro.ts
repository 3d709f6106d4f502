/**
 * The One Euro filter (Casiez, Roussel, Vogel, CHI 2012): an adaptive low-pass filter for noisy
 * real-time signals. Its cutoff frequency rises with the signal's (filtered) speed, so slow
 * movements are smoothed hard (little jitter) and fast ones are followed with little lag.
 *
 *   alpha(fc, dt) = 1 / (1 + tau / dt),  tau = 1 / (2 pi fc)
 *   dx   = (x - x_prev_filtered) / dt,   edx = lowpass(dx, alpha(dCutoff, dt))
 *   fc   = minCutoff + beta * |edx|,     x_hat = lowpass(x, alpha(fc, dt))
 *
 * Timestamps are in milliseconds (performance.now(), VideoFrame.timestamp / 1000); the cutoffs
 * are in Hz. Since fc >= minCutoff, after a step of size A the remaining error after n samples
 * spaced dt apart is at most A (1 - alpha(minCutoff, dt))^n.
 */

export interface OneEuroOptions {
  /** Cutoff (Hz) at rest: lower = smoother, more lag when slow. Default 1. */
  minCutoff?: number;
  /** Speed coefficient: higher = less lag when moving fast. Default 0.01 (for pixel units). */
  beta?: number;
  /** Cutoff (Hz) of the derivative's own low-pass filter. Default 1. */
  dCutoff?: number;
}

export const DEFAULT_ONE_EURO: Required<OneEuroOptions> = { minCutoff: 1, beta: 0.01, dCutoff: 1 };

/** The smoothing factor of a first-order low-pass at cutoff `fc` Hz for a step of `dt` seconds. */
export function oneEuroAlpha(fc: number, dt: number): number {
  const tau = 1 / (2 * Math.PI * fc);
  return 1 / (1 + tau / dt);
}

function checked(o: OneEuroOptions): Required<OneEuroOptions> {
  const r = { ...DEFAULT_ONE_EURO, ...o };
  if (!(r.minCutoff > 0) || !(r.dCutoff > 0) || !(r.beta >= 0) || !Number.isFinite(r.beta))
    throw new RangeError(`One Euro filter: minCutoff and dCutoff must be > 0 and beta >= 0, got minCutoff ${String(r.minCutoff)}, beta ${String(r.beta)}, dCutoff ${String(r.dCutoff)}`);
  return r;
}

/** One Euro filter over a vector of `size` independent channels sharing the timestamps. */
export class OneEuroFilter {
  readonly options: Required<OneEuroOptions>;
  private x: Float64Array | null = null;
  private dx: Float64Array;
  private t = 0;

  constructor(readonly size = 1, options: OneEuroOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`One Euro filter: size must be a positive integer, got ${size}`);
    this.options = checked(options);
    this.dx = new Float64Array(size);
  }

  /** Forgets the history: the next sample passes through unchanged. */
  reset(): void {
    this.x = null;
    this.dx.fill(0);
  }

  /**
   * Filters one sample taken at `timestampMs` (milliseconds, increasing). The first sample, and
   * any sample whose timestamp does not advance, is returned as is (resp. as the last output).
   */
  filter(value: ArrayLike<number>, timestampMs: number): Float64Array {
    if (value.length !== this.size) throw new RangeError(`One Euro filter: ${value.length} values, expected ${this.size}`);
    if (!Number.isFinite(timestampMs)) throw new RangeError(`One Euro filter: timestamp must be finite, got ${timestampMs}`);
    if (!this.x) {
      this.x = Float64Array.from(value);
      this.t = timestampMs;
      return this.x.slice();
    }
    const dt = (timestampMs - this.t) / 1000;
    if (!(dt > 0)) return this.x.slice();
    this.t = timestampMs;
    const { minCutoff, beta, dCutoff } = this.options;
    const ad = oneEuroAlpha(dCutoff, dt);
    for (let i = 0; i < this.size; i++) {
      const v = value[i];
      const d = (v - this.x[i]) / dt;
      const ed = this.dx[i] + ad * (d - this.dx[i]);
      this.dx[i] = ed;
      const a = oneEuroAlpha(minCutoff + beta * Math.abs(ed), dt);
      this.x[i] = this.x[i] + a * (v - this.x[i]);
    }
    return this.x.slice();
  }

  /** Scalar convenience for size-1 filters. */
  filterScalar(value: number, timestampMs: number): number {
    return this.filter([value], timestampMs)[0];
  }
}
