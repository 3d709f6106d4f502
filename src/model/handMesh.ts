/**
 * A hand mesh for landmarks that come without one (MediaPipe's landmark model): fitHand() fits
 * the hand model to the 21 world landmarks on the CPU (shape, root rotation, per-bone IK), then
 * the MANO layer's own kernels (manoPose + manoSkin, 2 dispatches for all hands of a side, one
 * submit) skin the mesh with that pose. The mesh is put over the photo by the weak-perspective
 * map (scale and shift, least squares) that takes the fitted joints' x, y onto the 2-D
 * landmarks: world landmarks are camera-aligned (x right, y down, as the image).
 */
import { Graph, type BuildStats, type Engine, type Executable, type Tensor } from '../engine/index.ts';
import { fitHand, type HandFit, type HandFitOptions } from './handFit.ts';
import { buildMano } from './mano.ts';
import type { HandSide, ManoAsset } from './manoAsset.ts';

/** Parameter layout of the mesh graph's input: beta 0..9 | pose 10..57 | camera 58..60 (unused) | pad. */
const LAYOUT = { beta: 0, pose: 10, camera: 58 };
const PARAMS = 64;

export interface MeshTarget {
  side: HandSide;
  /** 21 world landmarks, metres, MediaPipe order (63 values). */
  world: ArrayLike<number>;
  /** The same 21 landmarks in image pixels (42 values, x, y), to place the mesh over the image. */
  image: ArrayLike<number>;
}

export interface HandMesh {
  side: HandSide;
  /** V x 3, metres, in the world landmarks' frame. */
  vertices: Float32Array;
  /** V x 2, image pixels (weak perspective from the fitted joints onto the 2-D landmarks). */
  vertices2d: Float32Array;
  /** F x 3 triangle indices into the vertices. */
  faces: Uint32Array;
  /** The fitted model's 21 points (world, MediaPipe order, 21 x 3). */
  joints: Float32Array;
  /** Fitted joints against the world landmarks, millimetres (0 when the mesh is the network's own, HIU-DMTL). */
  fitErrorMm: { mean: number; max: number };
  /** Image pixels = projection.scale * (x, y) + (projection.x, projection.y). */
  projection: { scale: number; x: number; y: number };
  /** The fit itself: pose (48 axis-angles), betas, scale, translation (null for HIU-DMTL's own MANO output). */
  fit: HandFit | null;
}

interface SideGraph {
  exe: Executable;
  params: Tensor;
  vertices: Tensor;
  asset: ManoAsset;
}

/** Fits and skins up to `maxHands` hands per call; one compiled MANO graph per side. */
export class HandMesher {
  private constructor(
    private readonly engine: Engine,
    private readonly sides: Partial<Record<HandSide, SideGraph>>,
    readonly maxHands: number,
    private readonly fitOptions: HandFitOptions,
  ) {}

  static async create(engine: Engine, assets: Partial<Record<HandSide, ManoAsset>>, maxHands: number, fitOptions: HandFitOptions = {}): Promise<HandMesher> {
    const sides: Partial<Record<HandSide, SideGraph>> = {};
    await Promise.all(
      (Object.entries(assets) as [HandSide, ManoAsset][]).map(async ([side, asset]) => {
        const g = new Graph();
        const params = g.input(`mesh.${side}.params`, [maxHands, 1, 1, PARAMS]);
        const out = buildMano(g, asset, params, { name: `mesh.${side}`, layout: LAYOUT, poseSpace: 'axisAngle', flatHandMean: true });
        g.output(out.vertices);
        sides[side] = { exe: await engine.compile(g), params, vertices: out.vertices, asset };
      }),
    );
    return new HandMesher(engine, sides, maxHands, fitOptions);
  }

  /** What compiling each side's graph took (see Executable.buildStats). */
  get buildStats(): Partial<Record<HandSide, BuildStats>> {
    return Object.fromEntries(Object.entries(this.sides).map(([side, g]) => [side, g.exe.buildStats]));
  }

  /** Which sides have a hand model. */
  has(side: HandSide): boolean {
    return !!this.sides[side];
  }

  /** Meshes for these hands (null where no model of that side was given), in order. */
  async mesh(targets: readonly MeshTarget[]): Promise<(HandMesh | null)[]> {
    const out: (HandMesh | null)[] = targets.map(() => null);
    for (const side of ['left', 'right'] as const) {
      const s = this.sides[side];
      const idx = targets.map((t, i) => (t.side === side ? i : -1)).filter((i) => i >= 0).slice(0, this.maxHands);
      if (!s || !idx.length) continue;
      const fits = idx.map((i) => fitHand(s.asset, targets[i].world, this.fitOptions));
      const params = new Float32Array(this.maxHands * PARAMS);
      fits.forEach((f, k) => {
        params.set(f.betas, k * PARAMS + LAYOUT.beta);
        params.set(f.pose, k * PARAMS + LAYOUT.pose);
      });
      s.exe.write(s.params, params);
      await s.exe.run();
      const raw = await s.exe.read(s.vertices); // nhwc4: [maxHands, V, 1, 3] as (x, y, z, 0) per vertex
      const V = s.asset.numVertices;
      fits.forEach((f, k) => {
        const vertices = new Float32Array(V * 3);
        for (let v = 0; v < V; v++)
          for (let c = 0; c < 3; c++) vertices[v * 3 + c] = f.scale * raw[(k * V + v) * 4 + c] + f.translation[c];
        const projection = weakPerspective(f.joints, targets[idx[k]].image);
        const vertices2d = new Float32Array(V * 2);
        for (let v = 0; v < V; v++) {
          vertices2d[v * 2] = projection.scale * vertices[v * 3] + projection.x;
          vertices2d[v * 2 + 1] = projection.scale * vertices[v * 3 + 1] + projection.y;
        }
        out[idx[k]] = { side, vertices, vertices2d, faces: s.asset.faces, joints: f.joints, fitErrorMm: f.errorMm, projection, fit: f };
      });
    }
    return out;
  }

  dispose(): void {
    for (const s of Object.values(this.sides)) if (s) this.engine.release(s.exe);
  }
}

/** Least-squares s, t with s (X, Y) + t ~ (u, v) over the 21 points (s >= 0). */
export function weakPerspective(joints: ArrayLike<number>, image: ArrayLike<number>): { scale: number; x: number; y: number } {
  const n = image.length / 2;
  let mx = 0, my = 0, mu = 0, mv = 0;
  for (let i = 0; i < n; i++) (mx += joints[i * 3] / n), (my += joints[i * 3 + 1] / n), (mu += image[i * 2] / n), (mv += image[i * 2 + 1] / n);
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    const dx = joints[i * 3] - mx, dy = joints[i * 3 + 1] - my;
    num += dx * (image[i * 2] - mu) + dy * (image[i * 2 + 1] - mv);
    den += dx * dx + dy * dy;
  }
  const scale = den > 0 ? Math.max(0, num / den) : 0;
  return { scale, x: mu - scale * mx, y: mv - scale * my };
}
