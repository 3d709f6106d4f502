"""Writes the committed golden fixtures under test/fixtures/ (seeded, reproducible).

    /usr/bin/python3 tools/reference/make_fixtures.py

test/fixtures/hiu-small/      small HIU-DMTL: checkpoints (both serialisations, every prefix), input, outputs
test/fixtures/detector-small/ small hand detector: checkpoint (`module.` prefix), input, output
test/fixtures/tensors/        reader edge cases: non-contiguous views, f16/bf16/f64, f16 rounding table
test/fixtures/bad/            checkpoints that must be rejected (hostile pickle, other architecture, wrong shape)
"""
import hashlib
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hiu_dmtl import HIUDMTL, HandDetector, heatmap_keypoints, randomize_  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures')

# Small configuration: every size differs from its neighbours so that a mix-up shows as a shape error.
HIU_SMALL = dict(stacks=2, stem_widths=(6, 12), enc_channels=(12, 16, 20, 24), enc_blocks=(1, 2, 1, 1),
                 dec_width=8, tam_width=6, min_plane=5, reg_channels=(12, 14, 16, 18), reg_blocks=(1, 1, 2, 1),
                 reg_mlp=(24, 16, 12), reg_outputs=61, heads=(21, 63, 1), input_size=64)
# Tinier still, for the checkpoints that must be rejected (they only need the layout).
HIU_TINY = dict(stacks=2, stem_widths=(4, 8), enc_channels=(8, 8, 8, 8), enc_blocks=(1, 1, 1, 1), dec_width=4,
                tam_width=4, min_plane=2, reg_channels=(8, 8, 8, 8), reg_blocks=(1, 1, 1, 1), reg_mlp=(8, 8, 8),
                reg_outputs=61, heads=(21, 63, 1), input_size=32)
DET_SMALL = dict(stem_width=6, widths=(6, 8, 12, 16), blocks=(2, 1, 1, 2), head=(8, 6, 4), outputs=5)
DET_INPUT = 64


def out_dir(name):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    return d


def save_npy(d, name, t):
    np.save(os.path.join(d, name + '.npy'), t.detach().contiguous().numpy())


def save(obj, path, legacy=False, protocol=2):
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)


def checksums(sd):
    """key -> shape and SHA-256 of the f32 little-endian C-order bytes (what the loader must return)."""
    out = OrderedDict()
    for k, v in sd.items():
        if k.endswith('num_batches_tracked'):
            continue
        a = v.detach().to(torch.float32).contiguous().numpy().astype('<f4')
        out[k] = dict(shape=list(a.shape), sha256=hashlib.sha256(a.tobytes()).hexdigest())
    return out


def prefixed(sd, prefix):
    return OrderedDict((prefix + k, v) for k, v in sd.items())


def make_hiu(gen):
    d = out_dir('hiu-small')
    net = randomize_(HIUDMTL(**HIU_SMALL), gen).eval()
    sd = net.state_dict()
    # Every serialisation and every prefix at least once; pickle protocols 2, 4 and 5; a bare state
    # dict and a training-style wrapper dict. (Few files: per-key zip/pickle overhead dominates size.)
    save(sd, os.path.join(d, 'plain.zip.pth'))
    save(prefixed(sd, 'model.'), os.path.join(d, 'model.legacy.pth'), legacy=True, protocol=4)
    save({'epoch': 7, 'state_dict': prefixed(sd, 'module.')}, os.path.join(d, 'module.wrapped.zip.pth'), protocol=5)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(HIU_SMALL, f, indent=1)
    with open(os.path.join(d, 'state.json'), 'w') as f:
        json.dump(checksums(sd), f, indent=0)

    x = torch.rand(1, 3, HIU_SMALL['input_size'], HIU_SMALL['input_size'], generator=gen) * 2 - 1
    save_npy(d, 'input', x)
    with torch.no_grad():
        outs = net(x)
    for k, o in enumerate(outs):
        for name in ('heatmaps', 'pof', 'mask', 'coeffs'):
            save_npy(d, f'stack{k}_{name}', o[name])
    save_npy(d, 'keypoints2d', heatmap_keypoints(outs[-1]['heatmaps'][0]))
    # Another input size (any multiple of 32 must work): the same weights in a model built for
    # 96x96 inputs, whose maps are 24x24 (its own generator, so later fixtures keep their values).
    net96 = HIUDMTL(**dict(HIU_SMALL, input_size=96)).eval()
    net96.load_state_dict(sd)
    x96 = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(96)) * 2 - 1
    save_npy(d, 'input96', x96)
    with torch.no_grad():
        o96 = net96(x96)[-1]
    for name in ('heatmaps', 'pof', 'mask', 'coeffs'):
        save_npy(d, f'size96_{name}', o96[name])
    # Spot values, so a failing test can print numbers rather than a hash.
    for key in ('stem.0.1.running_var', 'tams.1.convs.5.0.weight', 'regressors.0.2.3.0.bias'):
        save_npy(d, 'tensor_' + key.replace('.', '_'), sd[key])


def make_detector(gen):
    d = out_dir('detector-small')
    det = randomize_(HandDetector(**DET_SMALL), gen).eval()
    sd = det.state_dict()
    save(prefixed(sd, 'module.'), os.path.join(d, 'module.zip.pth'))
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(dict(DET_SMALL, input_size=DET_INPUT), f, indent=1)
    with open(os.path.join(d, 'state.json'), 'w') as f:
        json.dump(checksums(sd), f, indent=0)
    x = torch.rand(1, 3, DET_INPUT, DET_INPUT, generator=gen) * 2 - 1
    save_npy(d, 'input', x)
    with torch.no_grad():
        save_npy(d, 'output', det(x))


def make_tensors(gen):
    """Views with offsets/strides that share storage, and every float dtype the reader handles."""
    d = out_dir('tensors')
    base = torch.randn(4, 5, 6, generator=gen)
    half = torch.randn(6, 7, generator=gen).half()
    items = OrderedDict([
        ('f32', base),
        ('f32_permuted', base.permute(2, 0, 1)),        # same storage, permuted strides
        ('f32_slice', base[1:3, 2:, 1::2]),            # storage offset and step
        ('f32_expanded', torch.randn(3, 1, generator=gen).expand(3, 4)),  # stride 0
        ('f32_scalar', torch.tensor(3.25)),
        ('f32_empty', torch.zeros(0, 3)),
        ('f16', half),
        ('f16_transposed', half.t()),
        ('bf16_slice', torch.randn(5, 4, generator=gen).bfloat16()[1:4]),
        ('f64_transposed', torch.randn(3, 4, generator=gen).double().t()),
        ('param', torch.nn.Parameter(torch.randn(2, 3, generator=gen))),  # _rebuild_parameter
        ('i64', torch.tensor([1, -2, 3])),
    ])
    save(items, os.path.join(d, 'views.zip.pth'))
    save(items, os.path.join(d, 'views.legacy.pth'), legacy=True)
    for k, v in items.items():
        save_npy(d, k, v.detach().to(torch.float32))
    # f16 rounding reference: values across the f16 range (normal, subnormal, ties, overflow).
    v = torch.cat([torch.randn(200, generator=gen) * 10 ** torch.randint(-8, 5, (200,), generator=gen).float(),
                   torch.tensor([0.0, -0.0, 65504.0, 65519.99, 65520.0, 1e-8, 2.0 ** -24, 2.0 ** -25,
                                 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 3.0e-5, -7.0e-6, 1e6])])
    with np.errstate(over='ignore'):  # 1e6 overflows to inf on purpose
        r = v.numpy().astype(np.float16).astype(np.float32)
    np.save(os.path.join(d, 'f16_rounding.npy'), np.stack([v.numpy(), r]))


class Shell:
    """Pickles as os.system('echo pwned'): a hostile checkpoint must be rejected, never run."""

    def __reduce__(self):
        return (os.system, ('echo pwned',))


def make_bad(gen):
    d = out_dir('bad')
    sd = randomize_(HIUDMTL(**HIU_TINY), gen).state_dict()
    one = randomize_(HIUDMTL(**dict(HIU_TINY, stacks=1)), gen).state_dict()
    save(OrderedDict([('stem.0.0.weight', torch.zeros(2)), ('payload', Shell())]), os.path.join(d, 'hostile-reduce.zip.pth'))
    other = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    save(OrderedDict(('features.' + k, v) for k, v in other.state_dict().items()), os.path.join(d, 'other-arch.zip.pth'))
    wrong = OrderedDict(one)
    wrong['hm_decs.0.upsamples.0.1.0.weight'] = torch.zeros(4, 4, 5, 5)  # a 5x5 kernel where 3x3 belongs
    save(prefixed(wrong, 'model.'), os.path.join(d, 'wrong-shape.legacy.pth'), legacy=True)
    missing = OrderedDict(one)
    del missing['tams.0.convs.2.1.running_mean']
    save(missing, os.path.join(d, 'missing-key.legacy.pth'), legacy=True)
    differ = OrderedDict(sd)
    differ['regressors.1.2.3.0.bias'] = sd['regressors.1.2.3.0.bias'].clone() + 1  # the copies must be identical
    save(differ, os.path.join(d, 'regressor-differs.legacy.pth'), legacy=True)


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20210726)
    make_hiu(gen)
    make_detector(gen)
    make_tensors(gen)
    make_bad(gen)
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(ROOT) for f in fs)
    print(f'wrote fixtures under {os.path.normpath(ROOT)}: {total / 1e6:.2f} MB')


if __name__ == '__main__':
    main()
