import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, channelPixelTile, outputTensor, paramWords, resizeCoordinates, type ResizeCoordinates } from './common.ts';
import { bilinearResizeParams, bilinearResizeWGSL } from './bilinearResize.wgsl.ts';

export interface BilinearResizeOptions {
  height: number;
  width: number;
  /** PyTorch's align_corners (false: half-pixel centres). */
  alignCorners?: boolean;
  /** The coordinate mode outright, e.g. TFLite's 'asymmetric' (both of its flags false); must agree with alignCorners if both are given. */
  coordinates?: ResizeCoordinates;
  out?: Tensor;
}

/**
 * F.interpolate(x, size=(height, width), mode='bilinear', align_corners), or TFLite
 * RESIZE_BILINEAR in any of its modes: x [N, H, W, C] -> [N, height, width, C].
 */
export function bilinearResize(g: Graph, name: string, x: Tensor, o: BilinearResizeOptions): Tensor {
  const { height: oh, width: ow } = o;
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1)
    throw new ShapeError(`bilinearResize '${name}': output size must be positive integers, got ${oh}x${ow}`);
  const [n, , , c] = x.shape;
  const y = outputTensor(g, name, 'bilinearResize', o.out, [n, oh, ow, c]);
  const c4 = ceilDiv(c, 4);
  const [wgX, wgY] = channelPixelTile(c4);
  const coordinates = resizeCoordinates(o, `bilinearResize '${name}'`);
  const spec = { x, y, coordinates, wgX, wgY };
  const params = bilinearResizeParams(spec);
  g.add(name, {
    kernel: 'bilinearResize',
    key: coordinates,
    wgsl: () => bilinearResizeWGSL(spec, params),
    params: paramWords(params),
    workgroups: [ceilDiv(c4, wgX), ceilDiv(oh * ow, wgY), n],
    bindings: [
      { tensor: x, access: 'read' },
      { tensor: y, access: 'write' },
    ],
    flops: n * oh * ow * c * 6,
    bytes: 4 * n * pad4(c) * (oh * ow * 5),
  });
  return y;
}
