import { ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, outputTensor, place } from './common.ts';
import { checkManoParams, MANO_COEFFS_LAYOUT, type ManoParamLayout } from './manoPose.ts';
import { manoSkinWGSL, SKIN_ROWS, type ManoSkinSpec } from './manoSkin.wgsl.ts';

export { SKIN_ROWS as MANO_SKIN_ROWS };

export interface ManoSkinOptions {
  /** Vertex count V. */
  vertices: number;
  /** Packed vec4 constants, SKIN_ROWS x V (see manoSkin.wgsl.ts): 151 * V * 4 floats. */
  constants: Float32Array;
  /** [N, 16, 1, 12] and [N, 1, 1, 135] from manoPose. */
  transforms: Tensor;
  feature: Tensor;
  /** Joint outputs to complete: the tip vertices' positions go to their rows. */
  joints3d: Tensor;
  joints2d: Tensor;
  tips: readonly { vertex: number; slot: number }[];
  layout?: ManoParamLayout;
  out?: Tensor;
}

/**
 * Per-vertex MANO stage (one dispatch, one thread per (hand, vertex)): shape and pose blend
 * shapes, linear blend skinning with the transforms from manoPose, vertices [N, V, 1, 3]; tip
 * vertices also fill their rows of joints3d / joints2d.
 */
export function manoSkin(g: Graph, name: string, params: Tensor, o: ManoSkinOptions): Tensor {
  const n = params.shape[0];
  const v = o.vertices;
  const what = `manoSkin '${name}'`;
  const layout = o.layout ?? MANO_COEFFS_LAYOUT;
  checkManoParams(what, params, layout);
  if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${what}: vertex count must be a positive integer, got ${v}`);
  if (o.constants.length !== SKIN_ROWS.total * v * 4)
    throw new ShapeError(`${what}: constants have ${o.constants.length} values, expected ${SKIN_ROWS.total * v * 4} (${SKIN_ROWS.total} vec4 rows of ${v} vertices)`);
  const expectShape = (t: Tensor, shape: number[], role: string) => {
    if (t.shape.join() !== shape.join()) throw new ShapeError(`${what}: ${role} '${t.name}' is [${t.shape}], expected [${shape.join(', ')}]`);
  };
  expectShape(o.transforms, [n, 16, 1, 12], 'transforms');
  expectShape(o.feature, [n, 1, 1, 135], 'feature');
  const rows = o.joints3d.shape[1];
  expectShape(o.joints3d, [n, rows, 1, 3], 'joints3d');
  expectShape(o.joints2d, [n, rows, 1, 2], 'joints2d');
  for (const tip of o.tips)
    if (!(Number.isInteger(tip.vertex) && tip.vertex >= 0 && tip.vertex < v && Number.isInteger(tip.slot) && tip.slot >= 0 && tip.slot < rows))
      throw new ShapeError(`${what}: tip ${JSON.stringify(tip)} needs a vertex in [0, ${v}) and a joint row in [0, ${rows})`);
  const vertices = outputTensor(g, `${name}.vertices`, 'manoSkin', o.out, [n, v, 1, 3]);
  const wg = 64;
  const spec: ManoSkinSpec = {
    params, betaAt: layout.beta, cameraAt: layout.camera, transforms: o.transforms, feature: o.feature,
    vertices, joints3d: o.joints3d, joints2d: o.joints2d, tips: o.tips, wg,
  };
  const c = g.constant(`${name}.constants`, o.constants);
  g.add(name, {
    kernel: 'manoSkin',
    key: `${place(params)} b${layout.beta} c${layout.camera} v${v} wg${wg} tips${o.tips.map((t) => `${t.vertex}:${t.slot}`).join(',')} ` +
      `${place(o.transforms)},${place(o.feature)}>${place(vertices)},${place(o.joints3d)},${place(o.joints2d)}`,
    wgsl: () => manoSkinWGSL(spec),
    workgroups: [ceilDiv(v, wg), n, 1],
    bindings: [
      { tensor: params, access: 'read' },
      { tensor: o.transforms, access: 'read' },
      { tensor: o.feature, access: 'read' },
      { constant: c },
      { tensor: vertices, access: 'write' },
      { tensor: o.joints3d, access: 'write' },
      { tensor: o.joints2d, access: 'write' },
    ],
    flops: n * v * (2 * 3 * (10 + 136) + 2 * 16 * 12 + 2 * 12),
    bytes: 4 * (o.constants.length + n * (v * 4 + 16 * 12 + 136)),
  });
  return vertices;
}
