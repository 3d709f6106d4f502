"""Makes a FULL-size random HIU-DMTL checkpoint (~710 MB, not committed) for fullsize_convert.sh.

    /usr/bin/python3 tools/reference/fullsize_checkpoint.py OUT.pth [--legacy]

Saved as {'epoch': 1, 'state_dict': <state dict with the `module.` prefix>} like a DataParallel
training run, and writes OUT.pth.sha256.json: the SHA-256 of every tensor's f32 bytes (engine key
names), for fullsize_verify.ts.
"""
import hashlib
import json
import os
import sys
import time
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hiu_dmtl import HIUDMTL, randomize_  # noqa: E402


def main():
    out = sys.argv[1]
    legacy = '--legacy' in sys.argv
    t0 = time.time()
    net = randomize_(HIUDMTL(), torch.Generator().manual_seed(1)).eval()
    sd = net.state_dict()
    print(f'built full-size model: {sum(p.numel() for p in net.parameters()) / 1e6:.1f} M parameters, '
          f'{len(sd)} state_dict keys, {time.time() - t0:.1f} s', flush=True)
    t0 = time.time()
    torch.save({'epoch': 1, 'state_dict': OrderedDict(('module.' + k, v) for k, v in sd.items())}, out,
               _use_new_zipfile_serialization=not legacy)
    print(f'saved {out}: {os.path.getsize(out) / 1e6:.1f} MB in {time.time() - t0:.1f} s', flush=True)
    sums = OrderedDict()
    for k, v in sd.items():
        if k.endswith('num_batches_tracked') or (k.startswith('regressors.') and not k.startswith('regressors.0.')):
            continue
        key = 'regressor.' + k[len('regressors.0.'):] if k.startswith('regressors.0.') else k
        sums[key] = hashlib.sha256(v.contiguous().numpy().astype('<f4').tobytes()).hexdigest()
    with open(out + '.sha256.json', 'w') as f:
        json.dump(sums, f)


if __name__ == '__main__':
    main()
