"""Random HIU-DMTL configurations within what the network page allows, with PyTorch goldens.

    /usr/bin/python3 tools/reference/make_config_fixtures.py          # rewrites test/fixtures/hiu-configs/
    /usr/bin/python3 tools/reference/make_config_fixtures.py --count 40 --out /tmp/cfgs --seed 7
                                                                       # a longer run elsewhere (not committed)

The property test test/model/hiuConfigs.cases.ts (both runtimes, no PyTorch) runs the engine on
folders 00..11 (and checks that `index.json` lists exactly those: change both together) and
compares each output with these goldens.

What the page (shared/docs/hiu-dmtl-network.md) leaves free, and so what is drawn: the number of
stacks (>= 1), both stem widths, the 4 encoder stage widths and block counts (>= 1 each), min_plane
(so a bottleneck's mid is max(in // 4, min_plane)), the decoder width, the TAM width, the
regressor's stage widths, block counts and the 3 hidden MLP widths. Fixed by the page's meaning:
heads 21 / 63 / 1 and 61 regressor outputs. The input is 32 x 32, the smallest the 5 halvings
allow (other sizes are covered by hiu-small's 64 and 96). Widths are drawn small (at most 11) and
often equal to their input on purpose, so that identity shortcuts (stride 1, in == out) and
AvgPool + BN shortcuts (stride 2, in == out) occur on widths that are not multiples of 4,
including on the stack input [F0, T] (stem width + decoder width) of later stacks and of the
regressor. The first configurations are fixed cases named in issue #12; the rest are seeded draws.

Per folder NN/: `model.pth` (random weights AND random BatchNorm statistics, eval mode; zip and
legacy serialisations alternate; all tensors are views into one storage per dtype, see `packed`),
`config.json` (the constructor arguments), `input.npy` (1 x 3 x S x S uint8 BGR; the network sees
x / 127.5 - 1) and the last stack's outputs `heatmaps|pof|mask|coeffs.npy` plus `keypoints2d.npy`
(21 x (row, col, max)). Everything is seeded: two runs write the same values (zip checkpoints
byte for byte; legacy ones differ only in storage names). The folder is about 1.6 MB, mostly the
per-tensor records of ~550 tiny tensors per checkpoint.
After regenerating, run the property test in both runtimes:

    VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx vitest run test/kernels/node.test.ts -t 'random HIU-DMTL'
    npx vitest run test/kernels/chromium.test.ts
"""
import argparse
import json
import os
import random
import shutil
import sys
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hiu_dmtl import HIUDMTL, heatmap_keypoints, randomize_  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'hiu-configs')
HEADS = (21, 63, 1)
OUTPUTS = 61


def config(stacks, stem, enc, blocks, dec, tam, min_plane, reg, reg_blocks, mlp, size=32):
    return dict(stacks=stacks, stem_widths=tuple(stem), enc_channels=tuple(enc), enc_blocks=tuple(blocks),
                dec_width=dec, tam_width=tam, min_plane=min_plane, reg_channels=tuple(reg),
                reg_blocks=tuple(reg_blocks), reg_mlp=tuple(mlp), reg_outputs=OUTPUTS, heads=HEADS, input_size=size)


# Cases the issue names, each on the smallest network that shows it.
FIXED = [
    # Stem width 10 (not a multiple of 4) and an identity first block (10 -> 10, stride 1); one stack.
    config(1, (5, 10), (10, 6, 7, 9), (1, 1, 1, 1), 3, 5, 3, (8, 6, 7, 5), (1, 1, 1, 1), (7, 6, 5)),
    # Identity shortcuts on the stack input [F0, T] = 6 + 3 = 9 channels (later stack and regressor),
    # identity and AvgPool + BN blocks on stage widths 9, 7; decoder width 3.
    config(2, (3, 6), (9, 9, 7, 7), (2, 1, 2, 1), 3, 3, 2, (9, 5, 5, 3), (2, 1, 1, 2), (5, 3, 6)),
    # One stack, one block per stage, widths 1..3 (the smallest the layout can hold).
    config(1, (2, 3), (3, 1, 2, 1), (1, 1, 1, 1), 1, 1, 1, (2, 1, 1, 3), (1, 1, 1, 1), (1, 2, 1)),
    # Every width a multiple of 4 except the decoder (5) and TAM (7).
    config(1, (4, 8), (8, 4, 8, 4), (1, 2, 1, 1), 5, 7, 4, (4, 8, 4, 4), (1, 1, 1, 1), (8, 4, 8)),
]


def draw(rng):
    """One random configuration; widths repeat their input often so identity shortcuts appear."""
    def width(prev=None, lo=1, hi=8):
        return prev if prev is not None and rng.random() < 0.4 else rng.randint(lo, hi)

    def stages(cin, alt):
        # The first stage may also match the other input width (stack 1 vs later stacks).
        out, c = [], rng.choice((cin, alt, None))
        for _ in range(4):
            c = width(c)
            out.append(c)
        return out, [rng.choice((1, 1, 1, 2)) for _ in range(4)]

    stacks = rng.choice((1, 1, 1, 1, 2))
    stem = (rng.randint(1, 5), rng.randint(1, 11))
    dec = rng.randint(1, 3)
    enc, blocks = stages(stem[1], stem[1] + dec)
    reg, reg_blocks = stages(stem[1] + dec, stem[1] + dec)
    return config(stacks, stem, enc, blocks, dec, rng.randint(1, 9), rng.randint(1, 6), reg, reg_blocks,
                  [rng.randint(1, 8) for _ in range(3)])


def packed(sd):
    """The same state dict with every tensor a view into one storage per dtype (offsets, shared storage).

    torch.load reads it back unchanged; it keeps a checkpoint of ~500 tiny tensors small, since each
    storage otherwise costs a zip entry (or a legacy storage record) of its own.
    """
    out = OrderedDict()
    for dtype in (torch.float32, torch.int64):
        items = [(k, v) for k, v in sd.items() if v.dtype == dtype]
        flat = torch.cat([v.reshape(-1) for _, v in items])
        o = 0
        for k, v in items:
            out[k] = flat[o:o + v.numel()].view(v.shape)
            o += v.numel()
    assert len(out) == len(sd)
    return OrderedDict((k, out[k]) for k in sd)


def write(d, cfg, gen, legacy):
    os.makedirs(d, exist_ok=True)
    net = randomize_(HIUDMTL(**cfg), gen).eval()
    torch.save(packed(net.state_dict()), os.path.join(d, 'model.pth'), _use_new_zipfile_serialization=not legacy, pickle_protocol=4)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(cfg, f)
    # The input is an 8-bit BGR crop (as an image gives), scaled as the page says: x / 127.5 - 1.
    s = cfg['input_size']
    pixels = torch.randint(0, 256, (1, 3, s, s), generator=gen, dtype=torch.uint8)
    with torch.no_grad():
        out = net(pixels.float() / 127.5 - 1)[-1]
    save = lambda name, t: np.save(os.path.join(d, name + '.npy'), t.detach().contiguous().numpy().astype('<f4'))
    np.save(os.path.join(d, 'input.npy'), pixels.numpy())
    for name in ('heatmaps', 'pof', 'mask', 'coeffs'):
        save(name, out[name])
    save('keypoints2d', heatmap_keypoints(out['heatmaps'][0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--count', type=int, default=12, help='configurations in all (fixed cases first)')
    ap.add_argument('--seed', type=int, default=12)
    ap.add_argument('--out', default=ROOT)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    # Remove only what an earlier run wrote (NN/ folders, index.json), never anything else in --out.
    if os.path.isdir(a.out):
        for e in os.listdir(a.out):
            path = os.path.join(a.out, e)
            if e == 'index.json':
                os.remove(path)
            elif len(e) == 2 and e.isdigit() and os.path.isdir(path):
                shutil.rmtree(path)
    cfgs = FIXED[:a.count] + [draw(rng) for _ in range(max(0, a.count - len(FIXED)))]
    names = []
    for i, cfg in enumerate(cfgs):
        name = f'{i:02d}'
        write(os.path.join(a.out, name), cfg, gen, legacy=i % 2 == 1)
        names.append(name)
    with open(os.path.join(a.out, 'index.json'), 'w') as f:
        json.dump(names, f)
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(a.out) for f in fs)
    print(f'wrote {len(cfgs)} configurations under {os.path.normpath(a.out)}: {total / 1e6:.2f} MB')


if __name__ == '__main__':
    main()
