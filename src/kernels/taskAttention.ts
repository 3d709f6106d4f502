import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, channelPixelTile, outputTensor, place } from './common.ts';
import { taskAttentionWGSL } from './taskAttention.wgsl.ts';

export interface TaskAttentionOptions {
  /** Write into this tensor (e.g. a channel view of the next stack's input concat). */
  out?: Tensor;
}

/**
 * TAM step 3-4: logits [N, 1, 1, 3C] in the network's order (index c*3 + t), feats three
 * [N, H, W, C] task features -> [N, H, W, C] = sum_t softmax_t(logits[c*3+t]) * feats[t].
 */
export function taskAttention(g: Graph, name: string, logits: Tensor, feats: readonly Tensor[], o: TaskAttentionOptions = {}): Tensor {
  if (feats.length !== 3) throw new ShapeError(`taskAttention '${name}': needs exactly 3 task features, got ${feats.length}`);
  const [n, h, w, c] = feats[0].shape;
  for (const f of feats)
    if (f.shape.join() !== feats[0].shape.join())
      throw new ShapeError(`taskAttention '${name}': feature '${f.name}' is [${f.shape}], expected [${feats[0].shape}] like '${feats[0].name}'`);
  if (logits.shape.join() !== [n, 1, 1, 3 * c].join())
    throw new ShapeError(`taskAttention '${name}': logits '${logits.name}' is [${logits.shape}], expected [${n}, 1, 1, ${3 * c}]`);
  const y = outputTensor(g, name, 'taskAttention', o.out, [n, h, w, c]);
  const c4 = ceilDiv(c, 4);
  const npix = h * w;
  const tp = npix >= 256 ? 4 : npix >= 4 ? 2 : 1;
  const [wgX, wgY] = channelPixelTile(c4);
  const spec = { logits, feats: [feats[0], feats[1], feats[2]] as [Tensor, Tensor, Tensor], y, tp, wgX, wgY };
  g.add(name, {
    kernel: 'taskAttention',
    key: `${place(logits)}|${feats.map(place).join('|')}>${place(y)} t${tp}`,
    wgsl: () => taskAttentionWGSL(spec),
    workgroups: [ceilDiv(c4, wgX), ceilDiv(ceilDiv(npix, tp), wgY), n],
    bindings: [
      { tensor: logits, access: 'read' },
      ...feats.map((t) => ({ tensor: t, access: 'read' as const })),
      { tensor: y, access: 'write' },
    ],
    flops: n * npix * c * 5 + n * c * 12,
    bytes: 4 * n * (pad4(3 * c) + 4 * npix * pad4(c)),
  });
  return y;
}
