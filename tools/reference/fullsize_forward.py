"""Full-size HIU-DMTL reference run for fullsize_conformance.sh (not a test; not committed data).

    /usr/bin/python3 tools/reference/fullsize_forward.py WORKDIR

Builds the full-size network with random weights and BatchNorm statistics (seed 1), saves it as a
DataParallel-style checkpoint WORKDIR/full.pth, runs it on a random 256x256 input (seed 2), and
writes the input and the last stack's outputs as .npy files for the engine to compare with.
"""
import os
import sys
import time
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hiu_dmtl import HIUDMTL, heatmap_keypoints, randomize_  # noqa: E402


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)
    net = randomize_(HIUDMTL(), torch.Generator().manual_seed(1)).eval()
    sd = net.state_dict()
    torch.save({'epoch': 1, 'state_dict': OrderedDict(('module.' + k, v) for k, v in sd.items())}, os.path.join(d, 'full.pth'))
    x = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(2)) * 2 - 1
    with torch.no_grad():
        net(x)  # warm-up
        t0 = time.time()
        outs = net(x)
        ms = (time.time() - t0) * 1e3
    print(f'PyTorch {torch.__version__} CPU forward (all 4 stacks, all heads, {torch.get_num_threads()} threads): {ms:.0f} ms', flush=True)
    last = outs[-1]
    save = lambda name, t: np.save(os.path.join(d, name + '.npy'), t.detach().contiguous().numpy().astype(np.float32))
    save('input', x)
    for name in ('heatmaps', 'pof', 'mask', 'coeffs'):
        save(name, last[name])
    save('keypoints2d', heatmap_keypoints(last['heatmaps'][0]))


if __name__ == '__main__':
    main()
