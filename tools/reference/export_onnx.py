"""HIU-DMTL exported to ONNX by the reference model, for bench/peers.ts (onnxruntime-web beside the engine).

    /usr/bin/python3 tools/reference/export_onnx.py [--configs small,medium] [--out artifacts/peers]

Configurations (the table of issue #11):
  small   the test fixture test/fixtures/hiu-small (its config.json and plain.zip.pth), input 64 x 64
  medium  full depth (4 stacks, blocks 3/4/6/3 and 3/3/3/3) with every width / 4, input 128 x 128,
          random weights and BatchNorm statistics (seeded); its checkpoint is written as model.pth

Per configuration, OUT/NAME/ (git-ignored, regenerated, never committed):
  model.onnx          the LAST stack's outputs heatmaps, pof, mask (logit), coeffs (61); input `input`
                      [1, 3, S, S] float32, BGR in [-1, 1], as the engine feeds the network
  model.pth           the checkpoint the engine converts (medium; small uses the fixture's)
  pixels.rgba         S x S x 4 uint8, seeded random colours, alpha 255: what the engine is given as an image
  input.f32           pixels as the network input: (B, G, R) / 127.5 - 1, NCHW, float32 little-endian
  NAME.f32            PyTorch's outputs for input.f32 (heatmaps, pof, mask, coeffs), float32
  meta.json           configuration, shapes, GFLOP (2 x multiply-adds of convs and linears), torch version
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hiu_dmtl import HIUDMTL, randomize_  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
SMALL_DIR = os.path.join(ROOT, 'test', 'fixtures', 'hiu-small')
OUTPUTS = ('heatmaps', 'pof', 'mask', 'coeffs')
OPSET = 17

# Full-size defaults of hiu_dmtl.HIUDMTL with every width divided by 4, at 128 x 128.
MEDIUM = dict(stacks=4, stem_widths=(16, 32), enc_channels=(32, 128, 256, 512), enc_blocks=(3, 4, 6, 3),
              dec_width=64, tam_width=64, min_plane=16, reg_channels=(64, 128, 256, 512), reg_blocks=(3, 3, 3, 3),
              reg_mlp=(128, 128, 128), reg_outputs=61, heads=(21, 63, 1), input_size=128)
MEDIUM_SEED = 11
PIXEL_SEED = 5


class LastStack(nn.Module):
    """What the engine computes: the last stack's four outputs."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        o = self.net(x)[-1]
        return tuple(o[k] for k in OUTPUTS)


def small_model():
    with open(os.path.join(SMALL_DIR, 'config.json')) as f:
        config = json.load(f)
    net = HIUDMTL(**config)
    net.load_state_dict(torch.load(os.path.join(SMALL_DIR, 'plain.zip.pth'), map_location='cpu'))
    return config, net, os.path.relpath(os.path.join(SMALL_DIR, 'plain.zip.pth'), ROOT)


def medium_model(d):
    net = randomize_(HIUDMTL(**MEDIUM), torch.Generator().manual_seed(MEDIUM_SEED))
    path = os.path.join(d, 'model.pth')
    torch.save(net.state_dict(), path)
    return dict(MEDIUM), net, os.path.relpath(path, ROOT)


def gflop(net, x):
    """2 x multiply-adds of every Conv2d and Linear in one forward pass (the shared regressor counted per call)."""
    total = [0]

    def conv(m, _inp, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m, _inp, out):
        total[0] += out.numel() * m.in_features

    hooks = [m.register_forward_hook(conv if isinstance(m, nn.Conv2d) else linear)
             for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return 2 * total[0] / 1e9


def export(name, out_root):
    d = os.path.join(out_root, name)
    os.makedirs(d, exist_ok=True)
    t0 = time.time()
    config, net, checkpoint = small_model() if name == 'small' else medium_model(d)
    net.eval()
    s = config['input_size']
    gen = torch.Generator().manual_seed(PIXEL_SEED)
    rgb = torch.randint(0, 256, (s, s, 3), generator=gen, dtype=torch.uint8)
    rgba = torch.cat([rgb, torch.full((s, s, 1), 255, dtype=torch.uint8)], dim=2)
    rgba.numpy().tofile(os.path.join(d, 'pixels.rgba'))
    # BGR, x / 127.5 - 1 (what the engine's image kernel computes), NCHW.
    x = (rgb.flip(2).permute(2, 0, 1).to(torch.float64) / 127.5 - 1).to(torch.float32).unsqueeze(0).contiguous()
    x.numpy().astype('<f4').tofile(os.path.join(d, 'input.f32'))
    wrapped = LastStack(net).eval()
    with torch.no_grad():
        outs = wrapped(x)
    shapes = {}
    for k, o in zip(OUTPUTS, outs):
        o.contiguous().numpy().astype('<f4').tofile(os.path.join(d, f'{k}.f32'))
        shapes[k] = list(o.shape)
    onnx_path = os.path.join(d, 'model.onnx')
    with torch.no_grad():
        torch.onnx.export(wrapped, x, onnx_path, opset_version=OPSET, input_names=['input'], output_names=list(OUTPUTS),
                          do_constant_folding=True)
    meta = dict(name=name, config=config, input_size=s, checkpoint=checkpoint, outputs=shapes,
                gflop=round(gflop(net, x), 3), params_m=round(sum(p.numel() for p in net.parameters()) / 1e6, 3),
                opset=OPSET, torch=torch.__version__, pixel_seed=PIXEL_SEED,
                weight_seed=None if name == 'small' else MEDIUM_SEED)
    with open(os.path.join(d, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(f'{name}: {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB), {meta["gflop"]} GFLOP, '
          f'{meta["params_m"]} M parameters, input {s}x{s}, {time.time() - t0:.1f} s', flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--configs', default='small', help='comma-separated: small, medium')
    ap.add_argument('--out', default=os.path.join(ROOT, 'artifacts', 'peers'))
    a = ap.parse_args()
    names = a.configs.split(',')
    for n in names:
        if n not in ('small', 'medium'):
            sys.exit(f'unknown config {n!r}: small, medium')
    torch.manual_seed(0)
    for n in names:
        export(n, a.out)


if __name__ == '__main__':
    main()
