// The importer on a synthetic .tflite that takes the paths MediaPipe's models do not: an ADD of
// two non-conv tensors, PRELU after it, a PAD that is an output (materialised), RELU6 + ADD after
// a conv, depth multiplier 2, a VALID max pool, the asymmetric resize mode, MEAN + FULLY_CONNECTED
// with RELU, LOGISTIC, RESHAPE/CONCATENATION into a flat output, and batch 2. Compared with the
// float64 references (test/reference/cpu.ts) on fresh random data.
import type { Engine } from '../../src/engine/index.ts';
import { TfliteRunner } from '../../src/import/index.ts';
import { readTflite } from '../../src/weights/tflite.ts';
import type { KernelCase } from '../kernels/harness.ts';
import * as ref from '../reference/cpu.ts';
import { ACT, buildTflite, f32Bytes, i32Bytes, OP, OPTIONS, PAD, TYPE, type BTensor } from '../weights/tfliteBuilder.ts';
import { relL2 } from './hiu.cases.ts';

type T64 = ref.Tensor64;
const f32r = (a: Float64Array) => Float64Array.from(Float32Array.from(a)); // what the file stores

/** NCHW -> NHWC (TFLite order). */
function toNHWC(t: T64): Float64Array {
  const [n, c, h, w] = t.shape;
  const out = new Float64Array(t.data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
    out[((b * h + y) * w + x) * c + ch] = t.data[((b * c + ch) * h + y) * w + x];
  return out;
}
/** OIHW -> OHWI (TFLite conv filter). */
function ohwi(w: T64): Float64Array {
  const [o, i, kh, kw] = w.shape;
  const out = new Float64Array(w.data.length);
  for (let a = 0; a < o; a++) for (let c = 0; c < i; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++)
    out[((a * kh + y) * kw + x) * i + c] = w.data[((a * i + c) * kh + y) * kw + x];
  return out;
}
/** [C*M, 1, kh, kw] -> [1, kh, kw, C*M] (TFLite depthwise filter). */
function dwLayout(w: T64): Float64Array {
  const [cm, , kh, kw] = w.shape;
  const out = new Float64Array(w.data.length);
  for (let c = 0; c < cm; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[(y * kw + x) * cm + c] = w.data[(c * kh + y) * kw + x];
  return out;
}

const EXPECTED_LAYERS = [
  'block.pool', 'block.prelu', 'block.dw', 'block.sum', 'up.asym', 'up.half', 'up.add', 'out_prelu',
  'head.mean', 'out_fc', 'out_sigmoid', 'head.vpool', 'head.conv', 'out_pad',
];

async function runSynthetic(engine: Engine, seed: number, batch: number): Promise<void> {
  const rng = ref.makeRng(seed);
  const rand = (shape: number[], lo = -1, hi = 1): T64 => ({ shape, data: f32r(ref.randomTensor(shape, rng, lo, hi).data) });
  const vec = (n: number, lo = -1, hi = 1) => f32r(ref.randomArray(n, rng, lo, hi));
  const [H, W, C] = [9, 7, 4];
  const x = rand([batch, C, H, W]);
  const w1 = rand([8, C, 3, 3]); const b1 = vec(8); const a1 = vec(8, -0.5, 0.5);
  const wd = rand([16, 1, 3, 3]); const bd = vec(16);
  const w5 = rand([8, 16, 1, 1], -0.5, 0.5); const b5 = vec(8);
  const a10 = vec(8, -0.5, 0.5);
  const wf = vec(6 * 8); const bf = vec(6);
  const wc = rand([2, 8, 1, 1]);

  // The reference, op by op (NCHW, float64).
  const pads = (h: number, w: number, k: number, s: number) => ref.samePads(h, w, k, s);
  const r1 = ref.conv2d(x, w1, { stride: 2, pad: pads(H, W, 3, 2), bias: b1 });                // [b,8,5,4]
  const pool = ref.maxPool2d(x, 2, 2, pads(H, W, 2, 2));                                            // [b,4,5,4]
  const r3 = ref.activate(ref.add(r1, pool), { prelu: a1 });                                       // conv + ADD(PAD(pool)) + PRELU
  const r4 = ref.depthwiseConv2d(r3, wd, { pad: pads(5, 4, 3, 1), bias: bd, act: 'relu6', depthMultiplier: 2 });
  const r6 = ref.add(ref.conv2d(r4, w5, { bias: b5, act: 'relu6' }), r3);                          // conv RELU6, then ADD
  const up1 = ref.bilinearResize(r6, 7, 5, 'asymmetric');
  const up2 = ref.bilinearResize(r6, 7, 5, 'halfPixel');
  const r10 = ref.activate(ref.activate(ref.add(up1, up2), 'relu'), { prelu: a10 });               // ADD(RELU) then PRELU
  const r11 = ref.add(ref.zeros([batch, 11, 5, 4]), r6);                                           // PAD +3 channels
  const mean = ref.globalAvgPool(r6).data;                                                         // [b, 8]
  const fc = ref.dense(mean, wf, { bias: bf, relu: true });                                        // [b, 6]
  const sig = Float64Array.from(fc, ref.sigmoidScalar);
  const vpool = ref.maxPool2d(r6, 2, 2, 0);                                                        // VALID: [b,8,2,2]
  const head = ref.conv2d(r3, wc);                                                                 // [b,2,5,4]
  const flat = new Float64Array(batch * (2 * 2 * 8 + 5 * 4 * 2));
  const [vp, hd] = [toNHWC(vpool), toNHWC(head)];
  for (let b = 0; b < batch; b++) {
    flat.set(vp.subarray(b * 32, (b + 1) * 32), b * 72);
    flat.set(hd.subarray(b * 40, (b + 1) * 40), b * 72 + 32);
  }

  // The same network as a .tflite file (batch 1 as files say; the runner sets the batch).
  const t: BTensor[] = [];
  const T = (name: string, shape: number[], data?: Uint8Array) => t.push({ name, shape, data }) - 1;
  const I = (name: string, shape: number[], v: number[]) => t.push({ name, shape, data: i32Bytes(v), type: TYPE.INT32 }) - 1;
  const act = (fused: number) => [3, 'i8', fused] as [number, 'i8', number];
  const ix = T('input', [1, H, W, C]);
  const iw1 = T('w1', [8, 3, 3, C], f32Bytes(ohwi(w1)));
  const ib1 = T('b1', [8], f32Bytes(b1));
  const ia1 = T('a1', [1, 1, 8], f32Bytes(a1));
  const iwd = T('wd', [1, 3, 3, 16], f32Bytes(dwLayout(wd)));
  const ibd = T('bd', [16], f32Bytes(bd));
  const iw5 = T('w5', [8, 1, 1, 16], f32Bytes(ohwi(w5)));
  const ib5 = T('b5', [8], f32Bytes(b5));
  const ia10 = T('a10', [8], f32Bytes(a10));
  const iwf = T('wf', [6, 8], f32Bytes(wf));
  const ibf = T('bf', [6], f32Bytes(bf));
  const iwc = T('wc', [2, 1, 1, 8], f32Bytes(ohwi(wc)));
  const ipad = I('paddings', [4, 2], [0, 0, 0, 0, 0, 0, 0, 4]);
  const ipad3 = I('paddings3', [4, 2], [0, 0, 0, 0, 0, 0, 0, 3]);
  const isize = I('size', [2], [7, 5]);
  const iaxes = I('axes', [2], [1, 2]);
  const ishape1 = I('shape1', [3], [1, -1, 8]);
  const ishape2 = I('shape2', [3], [1, -1, 8]);
  const c1 = T('block/conv1', [1, 5, 4, 8]);
  const mp = T('block/pool', [1, 5, 4, 4]);
  const mpp = T('block/pool_pad', [1, 5, 4, 8]);
  const sum = T('block/add', [1, 5, 4, 8]);
  const r3t = T('block/prelu', [1, 5, 4, 8]);
  const r4t = T('block/dw', [1, 5, 4, 16]);
  const c5 = T('block/project', [1, 5, 4, 8]);
  const r6t = T('block/sum', [1, 5, 4, 8]);
  const u1 = T('up/asym', [1, 7, 5, 8]);
  const u2 = T('up/half', [1, 7, 5, 8]);
  const us = T('up/add', [1, 7, 5, 8]);
  const r10t = T('out_prelu', [1, 7, 5, 8]);
  const r11t = T('out_pad', [1, 5, 4, 11]);
  const mt = T('head/mean', [1, 8]);
  const fct = T('out_fc', [1, 6]);
  const sgt = T('out_sigmoid', [1, 6]);
  const vpt = T('head/vpool', [1, 2, 2, 8]);
  const hdt = T('head/conv', [1, 5, 4, 2]);
  const rs1 = T('head/r1', [1, 4, 8]);
  const rs2 = T('head/r2', [1, 5, 8]);
  const cat = T('out_flat', [1, 9, 8]);
  const conv = (inp: number[], out: number, s: number, pad: number, fused: number) =>
    ({ code: OP.CONV_2D, inputs: inp, outputs: [out], optionsType: OPTIONS.Conv2D, options: [[0, 'i8', pad], [1, 'i32', s], [2, 'i32', s], act(fused)] as never });
  const file = buildTflite({
    tensors: t,
    inputs: [ix],
    outputs: [r10t, r11t, fct, sgt, cat],
    ops: [
      conv([ix, iw1, ib1], c1, 2, PAD.SAME, ACT.NONE),
      { code: OP.MAX_POOL_2D, inputs: [ix], outputs: [mp], optionsType: OPTIONS.Pool2D, options: [[0, 'i8', PAD.SAME], [1, 'i32', 2], [2, 'i32', 2], [3, 'i32', 2], [4, 'i32', 2]] },
      { code: OP.PAD, inputs: [mp, ipad], outputs: [mpp] },
      { code: OP.ADD, inputs: [c1, mpp], outputs: [sum], optionsType: OPTIONS.Add, options: [] },
      { code: OP.PRELU, inputs: [sum, ia1], outputs: [r3t] },
      { code: OP.DEPTHWISE_CONV_2D, inputs: [r3t, iwd, ibd], outputs: [r4t], optionsType: OPTIONS.DepthwiseConv2D,
        options: [[0, 'i8', PAD.SAME], [1, 'i32', 1], [2, 'i32', 1], [3, 'i32', 2], [4, 'i8', ACT.RELU6]] },
      conv([r4t, iw5, ib5], c5, 1, PAD.VALID, ACT.RELU6),
      { code: OP.ADD, inputs: [r3t, c5], outputs: [r6t], optionsType: OPTIONS.Add, options: [] },
      { code: OP.RESIZE_BILINEAR, inputs: [r6t, isize], outputs: [u1], optionsType: OPTIONS.ResizeBilinear, options: [[2, 'i8', 0], [3, 'i8', 0]] },
      { code: OP.RESIZE_BILINEAR, inputs: [r6t, isize], outputs: [u2], optionsType: OPTIONS.ResizeBilinear, options: [[2, 'i8', 0], [3, 'i8', 1]] },
      { code: OP.ADD, inputs: [u1, u2], outputs: [us], optionsType: OPTIONS.Add, options: [[0, 'i8', ACT.RELU]] },
      { code: OP.PRELU, inputs: [us, ia10], outputs: [r10t] },
      { code: OP.PAD, inputs: [r6t, ipad3], outputs: [r11t] },
      { code: OP.MEAN, inputs: [r6t, iaxes], outputs: [mt], optionsType: OPTIONS.Reducer, options: [[0, 'i8', 0]] },
      { code: OP.FULLY_CONNECTED, inputs: [mt, iwf, ibf], outputs: [fct], optionsType: OPTIONS.FullyConnected, options: [[0, 'i8', ACT.RELU]] },
      { code: OP.LOGISTIC, inputs: [fct], outputs: [sgt] },
      { code: OP.MAX_POOL_2D, inputs: [r6t], outputs: [vpt], optionsType: OPTIONS.Pool2D, options: [[0, 'i8', PAD.VALID], [1, 'i32', 2], [2, 'i32', 2], [3, 'i32', 2], [4, 'i32', 2]] },
      conv([r3t, iwc, -1], hdt, 1, PAD.VALID, ACT.NONE),
      { code: OP.RESHAPE, inputs: [vpt, ishape1], outputs: [rs1] },
      { code: OP.RESHAPE, inputs: [hdt, ishape2], outputs: [rs2] },
      { code: OP.CONCATENATION, inputs: [rs1, rs2], outputs: [cat], optionsType: OPTIONS.Concatenation, options: [[0, 'i32', 1]] },
    ],
  });
  // rs1 [1,4,8] and rs2 [1,5,8] are not [N,1,1,C]-compatible: a flat output of 72 values per item.
  const model = readTflite(file, 'synthetic.tflite');
  const runner = await TfliteRunner.create(engine, model, { batch });
  try {
    const out = await runner.run({ input: Float32Array.from(toNHWC(x)) });
    const expect: Record<string, Float64Array> = {
      out_prelu: toNHWC(r10), out_pad: toNHWC(r11), out_fc: fc, out_sigmoid: sig, out_flat: flat,
    };
    const errors: string[] = [];
    for (const [name, want] of Object.entries(expect)) {
      const got = out[name];
      const e = got && got.length === want.length ? relL2(got, want) : Infinity;
      if (!(e <= 1e-5)) errors.push(`${name}: rel L2 ${e} (${got?.length} vs ${want.length} values)`);
    }
    // 21 ops -> 14 dispatches: conv+ADD+PRELU, conv+RELU6+ADD, the shortcut PAD and RESHAPE/CONCATENATION free.
    const names = runner.imported.graph.nodes.map((n) => n.name);
    if (names.join() !== EXPECTED_LAYERS.join()) errors.push(`layers [${names}], expected [${EXPECTED_LAYERS}]`);
    if (errors.length) throw new Error(`MISMATCH synthetic batch ${batch} (seed ${seed}): ${errors.join('; ')}`);
  } finally {
    runner.dispose();
  }
}

export const tfliteSyntheticCases: KernelCase[] = [1, 2].map((batch) => ({
  name: `tflite importer: synthetic graph of every supported op, batch ${batch}`,
  run: (engine: Engine, seed: number) => runSynthetic(engine, seed, batch),
}));
