// A test must be able to fail: each mutant below is a plausible kernel bug, and the ordinary
// cases must catch it. If a mutant survives, the cases are too weak.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Engine } from '../../src/engine/index.ts';
import { conv2dCases } from './conv2d.cases.ts';
import { manoCases, manoMutants } from './mano.cases.ts';
import { allCases, kernelMutants } from './cases.ts';
import { withMutation, type Mutation } from './harness.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create();
});
afterAll(() => engine?.dispose());

const byName = (part: string) => {
  const c = conv2dCases.find((k) => k.name.includes(part));
  if (!c) throw new Error(`no case named like '${part}'`);
  return c;
};

const mutants: [string, string, Mutation][] = [
  ['padding off by one (rows)', '3x3 p1 c3->5 9x6', (s) => s.replace(/ky\) - P\.padT/g, 'ky) - P.padT - 1')],
  ['bounds check lets the last column in', '7x7 s2 p3', (s) => s.replace(/ix(\d) < iw/g, 'ix$1 <= iw')],
  ['ReLU dropped', 'stem bn relu', (s) => s.replace(/v = max\(v, vec4<f32>\(0\.0\)\);/g, '')],
  ['last input channel group skipped', 'bottleneck 1x1 c32->16', (s) => s.replace(/c < ci4; c\+\+/, 'c < ci4 - 1u; c++')],
  ['align_corners=false sampled as true', 'align_corners=false', (s) => s.replace(/max\(\(f32\(oy\) \+ 0\.5\) \* (P\.uSY) - 0\.5, 0\.0\)/, 'f32(oy) * $1')],
  ['residual added after ReLU', 'bn + residual + relu', (s) => s.replace(/(if \(c4 < P\.r4\) \{ v \+= R\[[^\]]+\]; \})\s*(v = max\(v, vec4<f32>\(0\.0\)\);)/g, '$2 $1')],
  ['last pixel of a block not stored', '3x3 p0 no padding', (s) => s.replace(/if \(pb \+ 3u < npix/, 'if (pb + 3u < 0u')],
  // The tiled variant's own index math: the tile edge, the K slices, the workgroup arrays.
  ['tiled: tile edge guard off by one (last pixel loads 0)', 'conv2d(tiled) tiles 3x3 p1 c37->70', (s) => s.replace(/\(lp(\d+) < npix\)/g, '(lp$1 + 1u < npix)')],
  ['tiled: last K slice skipped', 'conv2d(tiled) long K 3x3 p1 c64->16', (s) => s.replace(/k0 < K; k0 \+= (\d+)u/, 'k0 + $1u < K; k0 += $1u')],
  ['tiled: input tile read from the next K entry', 'conv2d(tiled) decoder 3x3 p1 c24->24', (s) => s.replace(/let xo = s \* (\d+)u/, 'let xo = ((s + 1u) % 8u) * $1u')],
];

for (const [what, caseName, m] of mutants) {
  test(`mutant is caught: ${what}`, async () => {
    const c = byName(caseName);
    await c.run(engine, 7); // the unmutated case passes...
    await expect(withMutation(m, () => c.run(engine, 7))).rejects.toThrow(/MISMATCH|padded channel lanes/); // ...the mutant fails
  });
}

for (const [what, caseName, m] of [...kernelMutants, ...manoMutants]) {
  test(`mutant is caught: ${what}`, async () => {
    const c = [...manoCases, ...allCases].find((k) => k.name.includes(caseName));
    if (!c) throw new Error(`no case named like '${caseName}'`);
    await c.run(engine, 11);
    // A comparison failure on a named output, not a build error or a harness complaint.
    await expect(withMutation(m, () => c.run(engine, 11))).rejects.toThrow(/MISMATCH|padded channel lanes/);
  });
}
