/**
 * The distinct conv shapes of the full-size HIU-DMTL inference pass (network page), found by
 * walking the architecture: stem, encoders (first stack and later stacks' 384-channel input),
 * decoders, heads and the regressor encoder. AvgPool(2) + 1x1 shortcuts appear as the 2x2
 * stride-2 convs they are folded into.
 */
export interface ConvShape {
  cin: number;
  cout: number;
  k: number;
  s: number;
  p: number;
  /** Input height = width. */
  size: number;
  /** How many convs of this shape one inference runs. */
  count: number;
  where: string;
}

export function hiuConvShapes(): ConvShape[] {
  const map = new Map<string, ConvShape>();
  const add = (where: string, cin: number, cout: number, k: number, s: number, size: number, n = 1) => {
    const p = k === 2 ? 0 : Math.floor(k / 2);
    const key = `${cin}-${cout}-${k}-${s}-${size}`;
    const e = map.get(key);
    if (e) e.count += n;
    else map.set(key, { cin, cout, k, s, p, size, count: n, where });
  };
  const encoder = (where: string, cin: number, chans: number[], blocks: number[], size: number) => {
    let c = cin;
    chans.forEach((out, stage) => {
      for (let b = 0; b < blocks[stage]; b++) {
        const s = stage > 0 && b === 0 ? 2 : 1;
        const mid = Math.max(Math.floor(c / 4), 64);
        add(`${where} stage${stage}`, c, mid, 1, 1, size);
        add(`${where} stage${stage}`, mid, mid, 3, s, size);
        const osz = size / s;
        add(`${where} stage${stage}`, mid, out, 1, 1, osz);
        if (s === 2 && c !== out) add(`${where} shortcut`, c, out, 2, 2, size);
        else if (c !== out) add(`${where} shortcut`, c, out, 1, 1, size);
        c = out;
        size = osz;
      }
    });
  };
  const K = 4;
  add('stem', 3, 64, 7, 2, 256);
  add('stem', 64, 128, 7, 2, 128);
  for (let k = 0; k < K; k++) {
    encoder('encoder', k === 0 ? 128 : 384, [128, 512, 1024, 2048], [3, 4, 6, 3], 64);
    for (let d = 0; d < 3; d++) {
      [2048, 1024, 512, 128].forEach((c, j) => add('decoder lateral', c, 256, 1, 1, 8 << j));
      for (let j = 0; j < 3; j++) {
        add('decoder upsample', 256, 256, 3, 1, 8 << j, 2);
        add('decoder upsample', 256, 256, 1, 1, 8 << j);
      }
    }
  }
  // Heads of the last stack only (inference).
  for (const c of [21, 63, 1]) {
    add('head', 256, 256, 3, 1, 64, 2);
    add('head', 256, c, 3, 1, 64);
  }
  encoder('regressor', 384, [256, 512, 1024, 2048], [3, 3, 3, 3], 64);
  return [...map.values()];
}

export function convFlops(s: ConvShape): number {
  const o = Math.floor((s.size + 2 * s.p - s.k) / s.s) + 1;
  return 2 * o * o * s.cout * s.cin * s.k * s.k;
}
