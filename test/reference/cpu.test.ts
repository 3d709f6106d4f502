// Sanity tests for the float64 CPU oracle itself (hand-computed values).
import { describe, expect, it } from 'vitest';
import {
  activate,
  add,
  avgPool2d,
  batchNorm,
  batchNormFold,
  bilinearResize,
  compare,
  concatChannels,
  conv2d,
  dense,
  denseChain,
  depthwiseConv2d,
  globalAvgPool,
  heatmapKeypoints,
  makeRng,
  maxAbs,
  maxPool2d,
  randomArray,
  randomTensor,
  relu,
  samePad,
  samePads,
  sigmoid,
  tamGapInterleave,
  taskAttention,
  taskAttentionWeights,
  tensor,
  tfliteBilinearTaps,
  zeros,
  type Tensor64,
} from './cpu.ts';

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol) {
      throw new Error(`index ${i}: got ${actual[i]}, want ${expected[i]}`);
    }
  }
}

const iota = (n: number, start = 1) => Array.from({ length: n }, (_, i) => i + start);

describe('rng', () => {
  it('is deterministic and in range', () => {
    const a = randomTensor([2, 3, 4, 5], makeRng(42));
    const b = randomTensor([2, 3, 4, 5], makeRng(42));
    const c = randomTensor([2, 3, 4, 5], makeRng(43));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    for (const v of a.data) {
      expect(v).toBeGreaterThanOrEqual(-1);
      expect(v).toBeLessThan(1);
      expect(Math.fround(v)).toBe(v);
    }
    const r = randomTensor([1000], makeRng(1), 2, 3);
    for (const v of r.data) expect(v >= 2 && v <= 3).toBe(true);
  });
});

describe('conv2d', () => {
  const x = tensor([1, 1, 3, 3], iota(9));
  const ones = tensor([1, 1, 3, 3], new Array(9).fill(1));

  it('3x3 ones kernel, pad 1, stride 1', () => {
    const y = conv2d(x, ones, { stride: 1, pad: 1 });
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expectClose(y.data, [12, 21, 16, 27, 45, 33, 24, 39, 28]);
  });

  it('3x3 ones kernel, pad 1, stride 2', () => {
    const y = conv2d(x, ones, { stride: [2, 2], pad: [1, 1] });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectClose(y.data, [12, 16, 24, 28]);
  });

  it('asymmetric kernel is cross-correlation (not flipped)', () => {
    // kernel picks the top-left tap only
    const k = tensor([1, 1, 2, 2], [1, 0, 0, 0]);
    const y = conv2d(x, k, { stride: 1, pad: 0 });
    expectClose(y.data, [1, 2, 4, 5]);
  });

  it('output size follows PyTorch floor rule', () => {
    const xi = zeros([1, 2, 7, 6]);
    const w = zeros([3, 2, 3, 2]);
    // H: floor((7 + 2*1 - 3)/2) + 1 = 4;  W: floor((6 + 2*0 - 2)/3) + 1 = 2
    expect(conv2d(xi, w, { stride: [2, 3], pad: [1, 0] }).shape).toEqual([1, 3, 4, 2]);
  });

  it('epilogue order: bias, scale/shift, residual, relu, addAfter', () => {
    // 1x1 conv, 2 in -> 2 out, on a 1x1 map
    const xi = tensor([1, 2, 1, 1], [1, 2]);
    const w = tensor([2, 2, 1, 1], [1, 1, 1, -1]); // y0 = 3, y1 = -1
    const bias = Float64Array.from([1, 0]); // 4, -1
    const scale = Float64Array.from([2, 3]); // 8, -3
    const shift = Float64Array.from([-1, 1]); // 7, -2
    const residual = tensor([1, 2, 1, 1], [-10, 5]); // -3, 3
    const addAfter = tensor([1, 2, 1, 1], [0.5, 0.25]); // relu -> 0, 3 ; + -> 0.5, 3.25
    const y = conv2d(xi, w, { bias, scale, shift, residual, relu: true, addAfter });
    expectClose(y.data, [0.5, 3.25]);
    const y2 = conv2d(xi, w, { bias, scale, shift });
    expectClose(y2.data, [7, -2]);
  });

  it('matches a naive per-element formula (batch 2, stride 2, pad (1,2), 3x2 kernel)', () => {
    const rng = makeRng(7);
    const xi = randomTensor([2, 3, 9, 8], rng);
    const w = randomTensor([4, 3, 3, 2], rng);
    const [sh, sw, ph, pw] = [2, 1, 1, 2];
    const y = conv2d(xi, w, { stride: [sh, sw], pad: [ph, pw] });
    const [N, C, H, W] = xi.shape;
    const [CO, , KH, KW] = w.shape;
    const OH = Math.floor((H + 2 * ph - KH) / sh) + 1;
    const OW = Math.floor((W + 2 * pw - KW) / sw) + 1;
    expect(y.shape).toEqual([N, CO, OH, OW]);
    const at = (t: Tensor64, a: number, b: number, c: number, d: number) =>
      t.data[((a * t.shape[1] + b) * t.shape[2] + c) * t.shape[3] + d];
    for (let n = 0; n < N; n++)
      for (let co = 0; co < CO; co++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let s = 0;
            for (let ci = 0; ci < C; ci++)
              for (let kh = 0; kh < KH; kh++)
                for (let kw = 0; kw < KW; kw++) {
                  const ih = oh * sh + kh - ph;
                  const iw = ow * sw + kw - pw;
                  if (ih >= 0 && ih < H && iw >= 0 && iw < W) s += at(xi, n, ci, ih, iw) * at(w, co, ci, kh, kw);
                }
            expect(Math.abs(at(y, n, co, oh, ow) - s)).toBeLessThan(1e-12);
          }
  });
});

describe('batchNorm', () => {
  it('fold equals direct form and conv+fold equals batchNorm(conv)', () => {
    const rng = makeRng(3);
    const C = 4;
    const gamma = randomArray(C, rng);
    const beta = randomArray(C, rng);
    const mean = randomArray(C, rng);
    const variance = randomArray(C, rng, 0.1, 2);
    const x = randomTensor([2, 3, 5, 5], rng);
    const w = randomTensor([C, 3, 3, 3], rng);
    const { scale, shift } = batchNormFold(gamma, beta, mean, variance);
    const direct = batchNorm(conv2d(x, w, { pad: 1 }), gamma, beta, mean, variance);
    const folded = conv2d(x, w, { pad: 1, scale, shift });
    expectClose(folded.data, direct.data, 1e-12);
  });

  it('hand value', () => {
    const x = tensor([1, 1, 1, 2], [3, 5]);
    const y = batchNorm(x, Float64Array.of(2), Float64Array.of(1), Float64Array.of(1), Float64Array.of(4), 0);
    // (3-1)/2*2+1 = 3 ; (5-1)/2*2+1 = 5
    expectClose(y.data, [3, 5]);
  });
});

describe('elementwise', () => {
  it('relu / sigmoid / add', () => {
    const x = tensor([1, 1, 1, 4], [-2, -0, 0.5, 800]);
    expectClose(relu(x).data, [0, 0, 0.5, 800]);
    const s = sigmoid(tensor([1, 1, 1, 3], [0, -800, 800]));
    expectClose(s.data, [0.5, 0, 1]);
    expect(sigmoid(tensor([1], [2])).data[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expectClose(add(x, x).data, [-4, 0, 1, 1600]);
  });
});

describe('pooling', () => {
  const x = tensor([1, 1, 4, 4], iota(16));
  it('avgPool2d k2 s2', () => {
    const y = avgPool2d(x, 2, 2);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectClose(y.data, [3.5, 5.5, 11.5, 13.5]);
  });
  it('avgPool2d floor mode drops the ragged edge', () => {
    const y = avgPool2d(tensor([1, 1, 3, 3], iota(9)), 2, 2);
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expectClose(y.data, [3]);
  });
  it('maxPool2d k3 s2 p1', () => {
    const y = maxPool2d(x, 3, 2, 1);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectClose(y.data, [6, 8, 14, 16]);
    // padding is -inf, not 0
    const neg = tensor([1, 1, 4, 4], iota(16).map((v) => -v));
    expectClose(maxPool2d(neg, 3, 2, 1).data, [-1, -2, -5, -6]);
  });
  it('globalAvgPool', () => {
    const y = globalAvgPool(tensor([1, 2, 2, 2], iota(8)));
    expect(y.shape).toEqual([1, 2, 1, 1]);
    expectClose(y.data, [2.5, 6.5]);
  });
});

describe('bilinearResize', () => {
  const x = tensor([1, 1, 2, 2], [1, 2, 3, 4]);
  it('align_corners=false, 2x2 -> 4x4 (PyTorch docs example)', () => {
    const y = bilinearResize(x, 4, 4, false);
    expectClose(y.data, [
      1.0, 1.25, 1.75, 2.0,
      1.5, 1.75, 2.25, 2.5,
      2.5, 2.75, 3.25, 3.5,
      3.0, 3.25, 3.75, 4.0,
    ]);
  });
  it('align_corners=true, 2x2 -> 4x4', () => {
    const y = bilinearResize(x, 4, 4, true);
    const t = 1 / 3;
    const want: number[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) want.push(1 + 2 * i * t + j * t);
    expectClose(y.data, want, 1e-12);
    expect(y.data[0]).toBe(1);
    expect(y.data[15]).toBe(4);
  });
  it('align_corners=false downsampling 4 -> 2 averages pairs', () => {
    // src = (d + 0.5) * 2 - 0.5 = 0.5, 2.5
    const y = bilinearResize(tensor([1, 1, 1, 4], [0, 2, 4, 8]), 1, 2, false);
    expectClose(y.data, [1, 6]);
  });
  it('align_corners=true with out size 1 samples index 0; non-square sizes', () => {
    const y = bilinearResize(tensor([1, 1, 1, 3], [5, 6, 7]), 1, 1, true);
    expectClose(y.data, [5]);
    const z = bilinearResize(tensor([1, 1, 2, 3], iota(6)), 3, 5, true);
    // rows at src 0, 0.5, 1 ; cols at src 0, 0.5, 1, 1.5, 2
    expectClose(z.data.subarray(5, 10), [2.5, 3, 3.5, 4, 4.5]);
  });
  it('identity when sizes match', () => {
    const r = randomTensor([2, 3, 5, 7], makeRng(9));
    expectClose(bilinearResize(r, 5, 7, false).data, r.data);
    expectClose(bilinearResize(r, 5, 7, true).data, r.data, 1e-15);
  });
});

describe('task attention', () => {
  it('softmax weights sum to 1 and are stable for big logits', () => {
    const logits = Float64Array.from([0, 0, 0, 1000, 1000, -1000, 1, 2, 3]);
    const a = taskAttentionWeights(logits);
    for (let i = 0; i < 9; i += 3) expect(a[i] + a[i + 1] + a[i + 2]).toBeCloseTo(1, 14);
    expectClose(a.subarray(0, 3), [1 / 3, 1 / 3, 1 / 3]);
    expectClose(a.subarray(3, 6), [0.5, 0.5, 0]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0] + e[1] + e[2];
    expectClose(a.subarray(6, 9), [e[0] / s, e[1] / s, e[2] / s]);
  });
  it('mixes features with per-channel weights (index c*3 + t)', () => {
    const f0 = tensor([1, 2, 1, 2], [1, 1, 10, 10]);
    const f1 = tensor([1, 2, 1, 2], [2, 2, 20, 20]);
    const f2 = tensor([1, 2, 1, 2], [3, 3, 30, 30]);
    // channel 0: equal weights -> 2 ; channel 1: all weight on t = 2 -> 30
    const logits = Float64Array.from([0, 0, 0, -1e3, -1e3, 0]);
    const y = taskAttention(logits, [f0, f1, f2]);
    expectClose(y.data, [2, 2, 30, 30], 1e-12);
  });
  it('tamGapInterleave order', () => {
    const f = (v: number) => tensor([2, 2, 1, 2], [v, v, v + 1, v + 1, v + 2, v + 4, v + 3, v + 3]);
    const g = tamGapInterleave([f(0), f(10), f(100)]);
    // n=0: c0 -> [0, 10, 100], c1 -> [1, 11, 101]; n=1: c0 -> 3, c1 -> 3 (+ offsets)
    expectClose(g, [0, 10, 100, 1, 11, 101, 3, 13, 103, 3, 13, 103]);
  });
});

describe('dense', () => {
  it('hand values with bias / scale / shift / relu', () => {
    const x = Float64Array.from([1, 2, 3, -1, 0, 1]); // N=2, In=3
    const w = Float64Array.from([1, 0, 0, 1, 1, 1]); // Out=2
    expectClose(dense(x, w, { outFeatures: 2 }), [1, 6, -1, 0]);
    const y = dense(x, w, {
      bias: Float64Array.of(1, 0),
      scale: Float64Array.of(2, 1),
      shift: Float64Array.of(0, -1),
      relu: true,
    });
    // n0: (1+1)*2 = 4, 6-1 = 5 ; n1: (-1+1)*2 = 0, 0-1 -> relu 0
    expectClose(y, [4, 5, 0, 0]);
  });
  it('denseChain equals successive dense calls', () => {
    const rng = makeRng(11);
    const x = randomArray(2 * 6, rng);
    const l1 = { w: randomArray(4 * 6, rng), bias: randomArray(4, rng), relu: true };
    const l2 = { w: randomArray(4 * 4, rng), batch: 2 };
    const y = denseChain(x, [l1, l2]);
    const want = dense(dense(x, l1.w, l1), l2.w, { inFeatures: 4 });
    expectClose(y, want);
    // square layer with no sizes given: batch carried from the first layer
    expectClose(denseChain(x, [l1, { w: l2.w }]), want);
  });
});

describe('heatmapKeypoints', () => {
  it('single peak', () => {
    const m = zeros([1, 1, 8, 8]);
    m.data[2 * 8 + 5] = 0.9;
    expectClose(heatmapKeypoints(m), [2, 5, 0.9]);
  });
  it('clamps to [0, 1] and averages', () => {
    const m = zeros([1, 2, 4, 4]);
    m.data[1 * 4 + 1] = 3; // clamped to 1
    m.data[1 * 4 + 3] = 1;
    m.data[3 * 4 + 0] = -5; // clamped to 0
    // channel 1 is all zero -> (0, 0, 0)
    expectClose(heatmapKeypoints(m), [1, 2, 1, 0, 0, 0]);
  });
});

describe('concat / maxAbs / compare', () => {
  it('concatChannels', () => {
    const a = tensor([2, 1, 1, 2], [1, 2, 3, 4]);
    const b = tensor([2, 2, 1, 2], [5, 6, 7, 8, 9, 10, 11, 12]);
    const c = concatChannels([a, b]);
    expect(c.shape).toEqual([2, 3, 1, 2]);
    expectClose(c.data, [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12]);
  });
  it('maxAbs', () => {
    expect(maxAbs(tensor([3], [1, -4, 2]))).toBe(4);
    expect(maxAbs(Float32Array.of(0.5))).toBe(0.5);
  });
  it('compare tolerance relative to max|expected|', () => {
    const e = Float64Array.from([100, 0, -1]);
    // tol = 0 + 1e-3 * 100 = 0.1
    expect(compare(Float32Array.from([100.05, 0.09, -1.09]), e, { rtol: 1e-3, atol: 0 }).ok).toBe(true);
    const bad = compare(Float32Array.from([100, 0.2, -1]), e, { rtol: 1e-3, atol: 0, shape: [1, 3] });
    expect(bad.ok).toBe(false);
    expect(bad.worstIndex).toBe(1);
    expect(bad.maxErr).toBeCloseTo(0.2, 6);
    expect(bad.message).toContain('[0, 1]');
    const nan = compare(Float64Array.from([100, NaN, -1]), e, { rtol: 1, atol: 1 });
    expect(nan.ok).toBe(false);
    expect(nan.nanCount).toBe(1);
    expect(nan.worstIndex).toBe(1);
    expect(compare(Float64Array.of(1, 2), e, { rtol: 1, atol: 1 }).ok).toBe(false);
  });
});

describe('TensorFlow SAME padding', () => {
  it('pad_total = max((ceil(in/s) - 1) * s + k - in, 0), the odd pixel after', () => {
    expect(samePad(16, 5, 2)).toEqual([1, 2]); // out 8: 14 + 5 - 16 = 3
    expect(samePad(15, 5, 2)).toEqual([2, 2]); // out 8: 14 + 5 - 15 = 4
    expect(samePad(8, 3, 2)).toEqual([0, 1]); // stride 2 on even: one less before than after
    expect(samePad(7, 3, 2)).toEqual([1, 1]);
    expect(samePad(8, 2, 2)).toEqual([0, 0]); // 2x2 s2 pool on even sizes pads nothing
    expect(samePad(7, 2, 2)).toEqual([0, 1]);
    expect(samePad(5, 3, 1)).toEqual([1, 1]);
    expect(samePad(1, 5, 2)).toEqual([2, 2]);
    expect(samePads(8, 7, 3, 2)).toEqual({ top: 0, bottom: 1, left: 1, right: 1 });
  });
  it('SAME keeps ceil(in / s) outputs', () => {
    for (const [n, k, st] of [[16, 5, 2], [9, 3, 2], [6, 5, 1], [1, 3, 2], [10, 2, 2]]) {
      const p = samePads(n, n, k, st);
      const y = conv2d(zeros([1, 1, n, n]), zeros([1, 1, k, k]), { stride: st, pad: p });
      expect(y.shape).toEqual([1, 1, Math.ceil(n / st), Math.ceil(n / st)]);
    }
  });
});

describe('conv2d TFLite extensions', () => {
  it('asymmetric padding: 2x2 s2 SAME on 3x3 pads only after', () => {
    const x = tensor([1, 1, 3, 3], iota(9));
    const ones = tensor([1, 1, 2, 2], [1, 1, 1, 1]);
    const y = conv2d(x, ones, { stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 } });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectClose(y.data, [12, 9, 15, 9]);
    // symmetric padding 1 would put the window over the top-left corner instead
    expectClose(conv2d(x, ones, { stride: 2, pad: 1 }).data, [1, 5, 11, 28]);
  });
  it('relu6, PReLU and a residual with fewer channels', () => {
    const x = tensor([1, 1, 1, 1], [1]);
    const w = tensor([3, 1, 1, 1], [-2, 3, 8]);
    expectClose(conv2d(x, w, { act: 'relu6' }).data, [0, 3, 6]);
    const prelu = Float64Array.from([0.5, -1, 2]);
    expectClose(conv2d(x, w, { act: { prelu } }).data, [-1, 3, 8]);
    // residual has 2 of the 3 channels: channel 2 adds 0; the activation comes after the add
    const residual = tensor([1, 2, 1, 1], [10, -10]);
    expectClose(conv2d(x, w, { residual, act: { prelu } }).data, [8, 7, 8]);
    expect(() => conv2d(x, w, { residual: tensor([1, 4, 1, 1], [0, 0, 0, 0]) })).toThrow(/residual/);
  });
});

describe('depthwiseConv2d', () => {
  it('hand values: one filter per channel, pad 1', () => {
    const x = tensor([1, 2, 3, 3], [...iota(9), ...new Array(9).fill(1)]);
    const w = tensor([2, 1, 3, 3], [...new Array(9).fill(1), 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    const y = depthwiseConv2d(x, w, { pad: 1 });
    expect(y.shape).toEqual([1, 2, 3, 3]);
    // channel 0: the 3x3 box sums; channel 1: 2 * x[oy - 1, ox - 1] where that is inside
    expectClose(y.data, [12, 21, 16, 27, 45, 33, 24, 39, 28, 0, 0, 0, 0, 2, 2, 0, 2, 2]);
  });
  it('depth multiplier: output channel o reads input channel floor(o / M)', () => {
    const x = tensor([1, 2, 1, 1], [5, 7]);
    const w = tensor([4, 1, 1, 1], [1, 2, 3, 4]);
    expectClose(depthwiseConv2d(x, w, { depthMultiplier: 2 }).data, [5, 10, 21, 28]);
  });
  it('equals a dense conv with block-diagonal weights (M 2, 5x5 s2 SAME, epilogue)', () => {
    const rng = makeRng(5);
    const [C, M, K] = [3, 2, 5];
    const x = randomTensor([2, C, 9, 8], rng);
    const w = randomTensor([C * M, 1, K, K], rng);
    const dense = zeros([C * M, C, K, K]);
    for (let o = 0; o < C * M; o++) dense.data.set(w.data.subarray(o * K * K, (o + 1) * K * K), (o * C + Math.floor(o / M)) * K * K);
    const o = { stride: 2, pad: samePads(9, 8, K, 2), bias: randomArray(C * M, rng), act: { prelu: randomArray(C * M, rng) } as const, residual: randomTensor([2, 4, 5, 4], rng) };
    const y = depthwiseConv2d(x, w, { ...o, depthMultiplier: M });
    expect(y.shape).toEqual([2, C * M, 5, 4]);
    expectClose(y.data, conv2d(x, dense, o).data, 1e-12);
  });
});

describe('TFLite pieces', () => {
  it('maxPool2d with SAME pads after: padded cells are -inf', () => {
    const neg = tensor([1, 1, 3, 3], iota(9).map((v) => -v));
    const y = maxPool2d(neg, 2, 2, { top: 0, bottom: 1, left: 0, right: 1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectClose(y.data, [-1, -3, -7, -9]);
  });
  it('add: b with fewer channels adds 0 to the rest; activate', () => {
    const a = tensor([1, 3, 1, 2], [1, 2, 3, 4, 5, 6]);
    const b = tensor([1, 2, 1, 2], [10, 20, -30, -40]);
    expectClose(add(a, b).data, [11, 22, -27, -36, 5, 6]);
    expectClose(activate(add(a, b), 'relu6').data, [6, 6, 0, 0, 5, 6]);
    expectClose(activate(add(a, b), { prelu: Float64Array.from([1, 0.5, -1]) }).data, [11, 22, -13.5, -18, 5, 6]);
    expect(() => add(b, a)).toThrow(/do not fit/);
  });
  it('TFLite half_pixel_centers equals PyTorch align_corners=false, align_corners equals PyTorch true', () => {
    const rng = makeRng(12);
    for (const [h, w, oh, ow] of [[2, 2, 4, 4], [4, 5, 9, 13], [9, 7, 4, 3], [1, 1, 3, 4], [5, 6, 1, 1], [3, 3, 7, 2], [1, 7, 4, 3], [16, 16, 5, 32]]) {
      const x = randomTensor([1, 2, h, w], rng);
      expectClose(bilinearResize(x, oh, ow, 'halfPixel').data, bilinearResize(x, oh, ow, false).data, 1e-12);
      expectClose(bilinearResize(x, oh, ow, 'alignCorners').data, bilinearResize(x, oh, ow, true).data, 1e-12);
    }
    // the raw taps differ at the edge: TFLite keeps v = -0.25 and puts both taps on pixel 0
    const t = tfliteBilinearTaps(2, 4, 'halfPixel');
    expect([t.i0[0], t.i1[0], t.l1[0]]).toEqual([0, 0, -0.25]);
  });
  it("TFLite 'asymmetric' (both flags false): v = o * in / out, no half-pixel shift", () => {
    // 2 -> 4: v = 0, 0.5, 1, 1.5 (the last clamps to pixel 1)
    expectClose(bilinearResize(tensor([1, 1, 1, 2], [0, 4]), 1, 4, 'asymmetric').data, [0, 2, 4, 4]);
    // 4 -> 2: v = 0, 2 (picks pixels, no averaging)
    expectClose(bilinearResize(tensor([1, 1, 1, 4], [0, 2, 4, 8]), 1, 2, 'asymmetric').data, [0, 4]);
    // 3 -> 2: v = 0, 1.5
    expectClose(bilinearResize(tensor([1, 1, 1, 3], [0, 2, 6]), 1, 2, 'asymmetric').data, [0, 4]);
  });
});
