import { describe, expect, test } from 'vitest';
import { DEFAULT_ONE_EURO, OneEuroFilter, oneEuroAlpha } from '../../src/api/oneEuro.ts';

// Deterministic noise in [-1, 1).
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 31) - 1;
}

describe('One Euro filter', () => {
  test('constant input passes through unchanged', () => {
    const f = new OneEuroFilter(3, { minCutoff: 0.5, beta: 0.1 });
    for (let i = 0; i < 50; i++) {
      const y = f.filter([4, -2.5, 1e3], i * 33.3);
      expect(Array.from(y)).toEqual([4, -2.5, 1e3]);
    }
  });

  test('the first sample passes through; a repeated timestamp returns the last output', () => {
    const f = new OneEuroFilter(1);
    expect(f.filterScalar(7, 100)).toBe(7);
    const y = f.filterScalar(9, 133);
    expect(y).toBeGreaterThan(7);
    expect(y).toBeLessThan(9);
    expect(f.filterScalar(100, 133)).toBe(y);
    f.reset();
    expect(f.filterScalar(100, 140)).toBe(100);
  });

  test('noise is reduced (std of the output well below that of the input)', () => {
    const rnd = noise(1);
    const f = new OneEuroFilter(2, { minCutoff: 1, beta: 0.001, dCutoff: 1 });
    let inSq = 0, outSq = 0, n = 0;
    for (let i = 0; i < 600; i++) {
      const a = 10 * rnd(), b = 10 * rnd();
      const y = f.filter([50 + a, -20 + b], i * (1000 / 60));
      if (i >= 60) {
        inSq += a * a + b * b;
        outSq += (y[0] - 50) ** 2 + (y[1] + 20) ** 2;
        n += 2;
      }
    }
    const inStd = Math.sqrt(inSq / n), outStd = Math.sqrt(outSq / n);
    expect(outStd).toBeLessThan(0.4 * inStd);
  });

  test('a step is followed, with lag bounded by A (1 - alpha(minCutoff, dt))^n, and never overshoots', () => {
    for (const opts of [{ minCutoff: 1, beta: 0 }, { minCutoff: 0.5, beta: 0.05 }, { minCutoff: 2, beta: 1, dCutoff: 3 }]) {
      const f = new OneEuroFilter(1, opts);
      const dtMs = 1000 / 30;
      for (let i = 0; i < 10; i++) f.filterScalar(0, i * dtMs);
      const A = 100;
      const a = oneEuroAlpha(opts.minCutoff, dtMs / 1000);
      let prev = 0;
      for (let n = 1; n <= 120; n++) {
        const y = f.filterScalar(A, (9 + n) * dtMs);
        expect(A - y).toBeLessThanOrEqual(A * (1 - a) ** n + 1e-9);
        expect(y).toBeLessThanOrEqual(A + 1e-9);
        expect(y).toBeGreaterThanOrEqual(prev); // monotone approach
        prev = y;
      }
      expect(A - prev).toBeLessThan(1e-3 * A);
    }
  });

  test('a larger beta follows a ramp with less lag', () => {
    const lag = (beta: number) => {
      const f = new OneEuroFilter(1, { minCutoff: 1, beta });
      let y = 0;
      for (let i = 0; i < 60; i++) y = f.filterScalar(i * 5, i * 16);
      return 59 * 5 - y;
    };
    expect(lag(0.1)).toBeLessThan(lag(0));
    expect(lag(0)).toBeGreaterThan(0);
  });

  test('defaults and bad parameters', () => {
    expect(new OneEuroFilter(1).options).toEqual(DEFAULT_ONE_EURO);
    expect(() => new OneEuroFilter(1, { minCutoff: 0 })).toThrow(RangeError);
    expect(() => new OneEuroFilter(1, { beta: -1 })).toThrow(RangeError);
    expect(() => new OneEuroFilter(0)).toThrow(RangeError);
    expect(() => new OneEuroFilter(2).filter([1], 0)).toThrow(/expected 2/);
  });
});
