/**
 * The official hand detector (the one checkpoint MandyMo/HIU-DMTL ships, `hand_det.pth`) as an
 * engine graph, and its decoding. Architecture: ../../../shared/docs/hiu-dmtl-network.md, "Hand
 * detector"; the PyTorch reference is tools/reference/hiu_dmtl.py (HandDetector).
 *
 * ResNet-18 backbone (torchvision BasicBlock layout) -> C2..C5 at strides 4..32, then
 * up1 = CBR 1x1 on C5, bilinear x2 (align_corners=True), CBR 3x3; up2 and up3 the same on
 * concat[up, C4] and concat[up, C3]; out = CBR 1x1 on concat[up3, C2], conv 3x3, BN -> 5 maps at
 * input/4 (score, w, h, dx, dy).
 *
 * Fusions, all exact:
 * - Every BatchNorm folds into the producing conv's per-channel scale/shift; ReLU runs in the
 *   conv's epilogue (the stem, conv1 of each block, the head's CBRs).
 * - A BasicBlock's shortcut add and final ReLU run in its conv2's epilogue; the 1x1 stride-2
 *   downsample + BN is one conv dispatch feeding it.
 * - The three concatenations are free: the last block of layer1/2/3 writes C2/C3/C4 straight into
 *   a channel view of the concat buffer, and each up block's 3x3 conv writes the other view. An up
 *   width that is not a multiple of 4 is padded with zero channels (zero weights and scale/shift,
 *   ReLU(0) = 0) so the C view starts on a vec4 boundary; the consumer's weights get matching
 *   zero input columns.
 * Not fused: the bilinear x2 runs as its own dispatch between the 1x1 and the 3x3 conv of each up
 * block (a ReLU sits between the 1x1 conv and the resize, so they do not commute, and the conv
 * kernel reads its input as stored); the stem's max-pool is its own dispatch.
 *
 * Decoding on the GPU (optional, on by default): a 5x5 stride-1 max-pool of the score channel
 * (the maxPool2d kernel on a 4-channel view of the output) and `peakCompact`, which keeps the
 * pixels whose score is >= the threshold and equal to its pooled value, writing them (with their
 * 5 channels) into a short list. Only that list is read back (a header and `capacity` slots of
 * 48 bytes for 5 maps; 16 slots by default: 816 bytes per image, against 128 KiB for the 64x64
 * map); if it overflowed, the whole map is read and decoded on the CPU instead.
 * Top-k, threshold, boxes and NMS then run on the CPU (detectorDecode.ts).
 */
import { pad4, ShapeError, type Executable, type Graph, type Tensor } from '../engine/index.ts';
import { bilinearResize, conv2d, maxPool2d, peakCompact } from '../kernels/index.ts';
import type { DetectorConfig } from '../weights/config.ts';
import {
  DEFAULT_DECODE,
  decodeDetectionMap,
  detectionsFromPeaks,
  parsePeakList,
  type DecodeOptions,
  type Detection,
} from './detectorDecode.ts';
import { insertZeroInputs, padOutputs, padVec, Params, type TensorLookup } from './params.ts';

export * from './detectorDecode.ts';

export interface DetectorBuildOptions {
  batch?: number;
  /** Square input side, a multiple of 32 (default: the config's inputSize, 256 for the official detector). */
  inputSize?: number;
  /**
   * GPU peak picking (default on): `threshold` is the lowest score the list keeps (a shader
   * constant; decodeDetections may filter higher, not lower), `capacity` the slots per image (default 16; more peaks than that fall back to reading the whole map).
   */
  decode?: false | { threshold?: number; capacity?: number };
}

export interface DetectorPeaks {
  /** [N, H, W, 4]: the 5x5 max-pool of channels 0..3 (channel 0 is the one used). */
  pooled: Tensor;
  /** [N, 1, 1 + capacity, 4 + pad4(outputs)]: see peakCompact. */
  list: Tensor;
  threshold: number;
  capacity: number;
}

export interface DetectorGraph {
  /** [N, S, S, 3]: BGR, x / 127.5 - 1, the image padded to a square and resized to S. */
  input: Tensor;
  /** [N, S/4, S/4, outputs]: score, w, h (fractions of S), dx, dy (fractions of S). A graph output. */
  output: Tensor;
  /** C2..C5 (intermediates; channel views for C2..C4). */
  features: Tensor[];
  /** GPU peak list (a graph output), unless decode: false. */
  peaks: DetectorPeaks | null;
  inputSize: number;
}

export function buildDetectorGraph(g: Graph, weights: TensorLookup, config: DetectorConfig, opts: DetectorBuildOptions = {}): DetectorGraph {
  const P = new Params(weights, 'hand-detector weights');
  const n = opts.batch ?? 1;
  const size = opts.inputSize ?? config.inputSize;
  if (!Number.isInteger(n) || n < 1) throw new ShapeError(`hand detector batch must be a positive integer, got ${n}`);
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0)
    throw new ShapeError(`hand detector input size must be a positive multiple of 32, got ${size}`);
  const sw = config.stageWidths;
  const hw = config.headWidths;
  if (sw.length !== 4 || config.stageBlocks.length !== 4 || hw.length !== 3)
    throw new ShapeError(`hand detector config needs 4 stages and 3 head widths, got ${sw.length}, ${config.stageBlocks.length}, ${hw.length}`);
  if (config.stageBlocks.some((b) => b < 1)) throw new ShapeError(`hand detector: every stage needs at least one block, got [${config.stageBlocks}]`);

  return g.scope('detector', () => {
    const input = g.input('input', [n, size, size, 3]);
    const side = (stride: number) => size / stride;
    // concat buffers [up_k (padded to a vec4 boundary) | C]: C2 at stride 4, C3 at 8, C4 at 16.
    const cats = [0, 1, 2].map((i) => {
      const up = pad4(hw[2 - i]);
      const s = side(4 << i);
      const buf = g.tensor(`cat${i + 2}`, [n, s, s, up + sw[i]]);
      return { buf, up, upView: g.channelView(buf, 0, up, `up${3 - i}.out`), cView: g.channelView(buf, up, sw[i], `C${i + 2}`) };
    });

    const features = g.scope('backbone', () => {
      const c0 = config.stemWidth;
      const stem = conv2d(g, 'conv1', input, {
        weight: P.get('backbone.conv1.weight', [c0, 3, 7, 7]), outChannels: c0, kernel: 7, stride: 2, padding: 3, relu: true, ...P.bn('backbone.bn1', c0),
      });
      let x = maxPool2d(g, 'maxpool', stem, { kernel: 3, stride: 2, padding: 1 });
      const feats: Tensor[] = [];
      for (let i = 0; i < 4; i++) {
        g.scope(`layer${i + 1}`, () => {
          const nb = config.stageBlocks[i];
          for (let b = 0; b < nb; b++) {
            const stride = i > 0 && b === 0 ? 2 : 1;
            const out = i < 3 && b === nb - 1 ? cats[i].cView : undefined;
            x = g.scope(`${b}`, () => basicBlock(g, P, `backbone.layer${i + 1}.${b}`, x, sw[i], stride, out));
          }
        });
        feats.push(x);
      }
      return feats;
    });

    // Head: up1 on C5, up2 on cat4, up3 on cat3, out on cat2.
    let low = features[3];
    let lowReal = sw[3];
    let lowZeroAt = 0;
    for (let k = 0; k < 3; k++) {
      const cat = cats[2 - k];
      const h = hw[k];
      const p = `up${k + 1}`;
      g.scope(p, () => {
        const a = conv2d(g, 'conv1x1', low, {
          weight: widen(P.get(`${p}.0.weight`, [h, lowReal, 1, 1]), h, lowReal, lowZeroAt, low.channels - lowReal),
          outChannels: h, kernel: 1, relu: true, ...P.bn(`${p}.1`, h),
        });
        const s = side(16 >> k);
        const u = bilinearResize(g, 'upsample', a, { height: s, width: s, alignCorners: true });
        const bn = P.bn(`${p}.5`, h);
        const extra = cat.up - h;
        conv2d(g, 'conv3x3', u, {
          weight: padOutputs(P.get(`${p}.4.weight`, [h, h, 3, 3]), extra, h * 9), outChannels: cat.up, kernel: 3, padding: 1, relu: true,
          scale: padVec(bn.scale, extra), shift: padVec(bn.shift, extra), out: cat.upView,
        });
      });
      low = cat.buf;
      lowReal = h + sw[2 - k];
      lowZeroAt = h;
    }

    const h2 = hw[2];
    const outputs = config.outputs;
    const output = g.scope('out', () => {
      const a = conv2d(g, 'conv1x1', low, {
        weight: widen(P.get('out.0.weight', [h2, lowReal, 1, 1]), h2, lowReal, lowZeroAt, low.channels - lowReal),
        outChannels: h2, kernel: 1, relu: true, ...P.bn('out.1', h2),
      });
      return g.output(conv2d(g, 'conv3x3', a, { weight: P.get('out.3.weight', [outputs, h2, 3, 3]), outChannels: outputs, kernel: 3, padding: 1, ...P.bn('out.4', outputs) }));
    });

    let peaks: DetectorPeaks | null = null;
    if (opts.decode !== false) {
      const threshold = opts.decode?.threshold ?? DEFAULT_DECODE.threshold;
      const capacity = opts.decode?.capacity ?? 16;
      peaks = g.scope('decode', () => {
        const scoreView = outputs > 4 ? g.channelView(output, 0, 4, 'scores') : output;
        const pooled = maxPool2d(g, 'maxpool5x5', scoreView, { kernel: 5, stride: 1, padding: 2 });
        const list = g.output(peakCompact(g, 'peaks', output, { pooled, threshold, capacity }));
        return { pooled, list, threshold, capacity };
      });
    }
    return { input, output, features, peaks, inputSize: size };
  });
}

/** Weights over a concat input with `count` zero channels inserted at `at` (the vec4 padding of the up part). */
function widen(w: Float32Array, cout: number, cin: number, at: number, count: number): Float32Array {
  return insertZeroInputs(w, cout, cin, 1, at, count);
}

/** torchvision BasicBlock: CBR 3x3 (stride s), CB 3x3 + shortcut, ReLU. */
function basicBlock(g: Graph, P: Params, p: string, x: Tensor, cout: number, stride: number, out?: Tensor): Tensor {
  const cin = x.channels;
  const a = conv2d(g, 'conv1', x, {
    weight: P.get(`${p}.conv1.weight`, [cout, cin, 3, 3]), outChannels: cout, kernel: 3, stride, padding: 1, relu: true, ...P.bn(`${p}.bn1`, cout),
  });
  const res =
    stride !== 1 || cin !== cout
      ? conv2d(g, 'downsample', x, { weight: P.get(`${p}.downsample.0.weight`, [cout, cin, 1, 1]), outChannels: cout, kernel: 1, stride, ...P.bn(`${p}.downsample.1`, cout) })
      : x;
  return conv2d(g, 'conv2', a, {
    weight: P.get(`${p}.conv2.weight`, [cout, cout, 3, 3]), outChannels: cout, kernel: 3, padding: 1, residual: res, relu: true, ...P.bn(`${p}.bn2`, cout), out,
  });
}

/**
 * Detections per image, in detector-input pixels, sorted by score: reads the GPU peak list (a
 * few hundred bytes) and finishes on the CPU (top-k, threshold, boxes, NMS). Falls back to
 * reading the whole output map when the list overflowed, when the graph was built without GPU
 * decoding, or when `opts.threshold` is below the threshold the list was built with.
 */
export async function decodeDetections(exe: Executable, det: DetectorGraph, opts: DecodeOptions = {}): Promise<Detection[][]> {
  const o = { ...DEFAULT_DECODE, ...opts };
  const [n, h, w, c] = det.output.shape;
  const pk = det.peaks;
  if (pk && o.threshold >= pk.threshold) {
    const parsed = parsePeakList(await exe.read(pk.list), n, pk.capacity, c);
    if (parsed.every((p) => !p.overflow))
      return parsed.map((p) => detectionsFromPeaks(p.peaks, h, w, det.inputSize, o));
  }
  return decodeDetectionMap(await exe.readNCHW(det.output), [n, c, h, w], det.inputSize, o);
}
