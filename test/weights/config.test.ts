/** Configurations against the network page: full-size layout, inference, unusual mid widths. */
import { describe, expect, it } from 'vitest';
import { expectedHiuShapes, FULL_HIU_CONFIG, inferHiuConfig, stripPrefixes, validateShapes, type HiuConfig } from '../../src/weights/config.ts';
import { readNpy, writeNpy } from '../../src/weights/npy.ts';

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

describe('full-size HIU-DMTL layout (the network page)', () => {
  const ck = expectedHiuShapes(FULL_HIU_CONFIG, 'checkpoint');
  const eng = expectedHiuShapes(FULL_HIU_CONFIG, 'engine');
  it('has the page\'s keys and shapes', () => {
    expect(ck.size).toBe(2977); // torch state_dict() of the reference, num_batches_tracked excluded
    expect(ck.get('stem.1.0.weight')).toEqual([128, 64, 7, 7]);
    expect(ck.get('encs.0.ops.1.0.convs.0.0.weight')).toEqual([64, 128, 1, 1]);
    expect(ck.get('encs.1.ops.0.0.residual.0.weight')).toEqual([128, 384, 1, 1]);
    expect(ck.get('hm_decs.3.upsamples.2.3.1.running_var')).toEqual([256]);
    expect(ck.get('tams.0.convs.5.0.weight')).toEqual([768, 768, 1, 1]);
    expect(ck.get('regressors.3.2.3.0.bias')).toEqual([61]);
    expect(ck.get('regressors.3.0.ops.3.2.convs.2.0.weight')).toEqual([2048, 512, 1, 1]);
    expect(ck.get('encs.0.ops.1.0.residual.1.0.weight')).toEqual([512, 128, 1, 1]); // AvgPool + CB shortcut
  });
  it('has 177.2 M unique parameters (708 MB f32)', () => {
    const params = [...eng].filter(([k]) => !/running_(mean|var)$/.test(k)).reduce((n, [, s]) => n + numel(s), 0);
    expect(params).toBe(177_234_469); // torch: sum(p.numel() for p in HIUDMTL().parameters())
  });
  it('infers the full configuration back from either layout', () => {
    expect(inferHiuConfig(ck)).toEqual(FULL_HIU_CONFIG);
    expect(inferHiuConfig(eng)).toEqual(FULL_HIU_CONFIG);
  });
  it('records explicit mid widths when no single min_plane explains them', () => {
    const odd: HiuConfig = { ...FULL_HIU_CONFIG, stacks: 2, midWidths: undefined };
    const shapes = expectedHiuShapes(odd, 'engine');
    // Give one block a mid of 100 (the rule says 64).
    const p = 'encs.1.ops.0.0.convs';
    for (const [k, s] of shapes) {
      if (k.startsWith(`${p}.0.1.`) || k.startsWith(`${p}.1.1.`)) shapes.set(k, [100]);
    }
    shapes.set(`${p}.0.0.weight`, [100, 384, 1, 1]);
    shapes.set(`${p}.1.0.weight`, [100, 100, 3, 3]);
    shapes.set(`${p}.2.0.weight`, [128, 100, 1, 1]);
    const c = inferHiuConfig(shapes);
    expect(c.midWidths?.encoders[1][0]).toEqual([100, 64, 64]);
    expect(c.midWidths?.encoders[0][0]).toEqual([64, 64, 64]);
    expect(() => validateShapes(shapes, expectedHiuShapes(c, 'engine'), 'odd')).not.toThrow();
    // Without the explicit mids, the rule would disagree at exactly that block.
    expect(() => validateShapes(shapes, expectedHiuShapes({ ...c, midWidths: undefined }, 'engine'), 'odd')).toThrow(
      "odd: tensor 'encs.1.ops.0.0.convs.0.0.weight' has shape [100,384,1,1], expected [96,384,1,1]");
  });
});

describe('prefixes', () => {
  it('strips module./model. only when every key has them', () => {
    expect(stripPrefixes(['module.model.a', 'module.model.b']).prefix).toBe('module.model.');
    expect(stripPrefixes(['model.a', 'b']).prefix).toBe('');
  });
});

describe('npy', () => {
  it('round-trips f32 and f64 and rejects what it cannot read', () => {
    const a = new Float32Array([1, -2.5, 3e-8, 0, 5, 6]);
    const r = readNpy(writeNpy(a, [2, 3]));
    expect(r.shape).toEqual([2, 3]);
    expect(Array.from(r.data)).toEqual(Array.from(a));
    const d = readNpy(writeNpy(new Float64Array([0.1]), [1]));
    expect(d.f64?.[0]).toBe(0.1);
    expect(() => readNpy(new Uint8Array(20), 'x.npy')).toThrow('x.npy: not a supported .npy file: bad magic');
    const bad = writeNpy(a, [6]);
    const at = Buffer.from(bad).indexOf("'<f4'");
    bad.set(new TextEncoder().encode("'<i8'"), at); // descr -> int64
    expect(() => readNpy(bad, 'i.npy')).toThrow(/dtype '<i8'/);
  });
});

describe('state dict discovery', () => {
  it('finds the tensors at top level or under a wrapper key, and says what it found otherwise', async () => {
    const { findStateDict } = await import('../../src/weights/convert.ts');
    const t = { kind: 'tensor' };
    const sd = new Map([['a.weight', t]]);
    expect(findStateDict(sd, 'x').wrapperKey).toBeNull();
    expect(findStateDict(new Map<string, unknown>([['model', sd], ['step', 3]]), 'x').wrapperKey).toBe('model');
    expect(findStateDict(new Map<string, unknown>([['epoch', 1], ['state_dict', sd]]), 'x').wrapperKey).toBe('state_dict');
    expect(() => findStateDict(new Map([['epoch', 1]]), 'x.pth')).toThrow(/x\.pth: no state dict found: .*keys \['epoch'\]/);
  });
});
