"""Reference HIU-DMTL and hand detector in PyTorch, written from ../../../shared/docs/hiu-dmtl-network.md.

Only used offline: to make golden fixtures and test checkpoints (make_fixtures.py) and a full-size
random checkpoint (fullsize_checkpoint.py). Every width is a constructor parameter so that small
configurations exist; the defaults are the full-size network, whose state_dict() keys and shapes
match the checkpoint layout on the network page (run this file to print the check).

Module nesting mirrors the checkpoint keys: a "CBR" is nn.Sequential(conv, bn, relu) so that its
keys are `<i>.0.weight` and `<i>.1.*`; a plain conv that ends a chain is nn.Sequential(conv) so that
its key is `<i>.0.weight`.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_block(cin, cout, k, s=1, bn=True, relu=True, bias=False):
    """Conv (padding k//2), then optional BatchNorm2d (eps 1e-5) and ReLU, as one nn.Sequential."""
    ops = [nn.Conv2d(cin, cout, k, s, padding=k // 2, bias=bias)]
    if bn:
        ops.append(nn.BatchNorm2d(cout))
    if relu:
        ops.append(nn.ReLU(inplace=False))
    return nn.Sequential(*ops)


class Bottleneck(nn.Module):
    """CBR 1x1 in->mid, CBR 3x3 (stride s) mid->mid, CB 1x1 mid->out, plus a shortcut; mid uses `in`."""

    def __init__(self, cin, cout, stride=1, min_plane=64):
        super().__init__()
        mid = max(cin // 4, min_plane)
        self.mid = mid
        self.convs = nn.Sequential(
            conv_block(cin, mid, 1),
            conv_block(mid, mid, 3, stride),
            conv_block(mid, cout, 1, relu=False),
        )
        if stride != 1 and cin != cout:
            self.residual = nn.Sequential(nn.AvgPool2d(stride, stride), conv_block(cin, cout, 1, relu=False))
        elif stride != 1:
            self.residual = nn.Sequential(nn.AvgPool2d(stride, stride), nn.BatchNorm2d(cout))
        elif cin != cout:
            self.residual = conv_block(cin, cout, 1, relu=False)
        else:
            self.residual = None  # identity: no keys

    def forward(self, x):
        r = x if self.residual is None else self.residual(x)
        return F.relu(self.convs(x) + r)


class Encoder(nn.Module):
    """4 stages of Bottlenecks; the first block of stages 1..3 has stride 2. Returns [C1..C4]."""

    def __init__(self, cin, channels, blocks, min_plane=64):
        super().__init__()
        assert len(channels) == len(blocks) == 4
        stages, c = [], cin
        for i, (ch, nb) in enumerate(zip(channels, blocks)):
            stage = []
            for b in range(nb):
                stride = 2 if (i > 0 and b == 0) else 1
                stage.append(Bottleneck(c, ch, stride, min_plane))
                c = ch
            stages.append(nn.Sequential(*stage))
        self.ops = nn.ModuleList(stages)

    def forward(self, x):
        outs = []
        for stage in self.ops:
            x = stage(x)
            outs.append(x)
        return outs


class ResizeTo(nn.Module):
    """Bilinear resize (align_corners=True) to a fixed size; identity at the decoder's own size."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, x):
        return F.interpolate(x, size=self.size, mode='bilinear', align_corners=True)


class Decoder(nn.Module):
    """FPN-style top-down decoder over [C4, C3, C2, C1] and a prediction head (one per task)."""

    def __init__(self, channels, width, cout, map_size):
        super().__init__()
        self.laterals = nn.ModuleList([conv_block(c, width, 1) for c in channels])
        self.upsamples = nn.ModuleList([
            nn.Sequential(
                conv_block(width, width, 3), conv_block(width, width, 3),
                nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True),
                conv_block(width, width, 1, relu=False))
            for _ in range(len(channels) - 1)])
        self.predict = nn.Sequential(
            conv_block(width, width, 3), conv_block(width, width, 3),
            conv_block(width, cout, 3, bn=False, relu=False),
            ResizeTo(map_size), nn.BatchNorm2d(cout))

    def forward(self, feats):  # feats = [C1, C2, C3, C4]
        c = feats[::-1]
        f = self.laterals[0](c[0])
        for j in range(1, len(c)):
            f = self.laterals[j](c[j]) + self.upsamples[j - 1](f)
        return f, self.predict(f)


class TAM(nn.Module):
    """Task attention: per-channel softmax over 3 tasks, weights from a 1x1 conv chain on pooled features."""

    def __init__(self, width, hidden):
        super().__init__()
        w3 = 3 * width
        self.convs = nn.Sequential(
            conv_block(w3, w3, 1), conv_block(w3, hidden, 1), conv_block(hidden, hidden, 1),
            conv_block(hidden, hidden, 1), conv_block(hidden, w3, 1),
            conv_block(w3, w3, 1, bn=False, relu=False))

    def forward(self, xs):  # xs = [X_hm, X_pof, X_mask]
        n, c = xs[0].shape[:2]
        pooled = torch.stack([x.mean(dim=(2, 3)) for x in xs], dim=2)  # n x c x 3 -> index c*3+t
        a = self.convs(pooled.reshape(n, 3 * c, 1, 1)).reshape(n, c, 3).softmax(dim=2)
        return sum(a[:, :, t, None, None] * xs[t] for t in range(3))


class Regressor(nn.Sequential):
    """[0] Encoder (only C4 used), [1] global average pool, [2] 1x1 MLP ending in a biased conv."""

    def __init__(self, cin, channels, blocks, min_plane, mlp, n_out):
        widths = [channels[-1]] + list(mlp)
        layers = [conv_block(a, b, 1) for a, b in zip(widths[:-1], widths[1:])]
        layers.append(conv_block(widths[-1], n_out, 1, bn=False, relu=False, bias=True))
        super().__init__(Encoder(cin, channels, blocks, min_plane), nn.AdaptiveAvgPool2d(1), nn.Sequential(*layers))

    def forward(self, x):
        x = self[0](x)[-1]
        return self[2](self[1](x)).flatten(1)


class HIUDMTL(nn.Module):
    def __init__(self, stacks=4, stem_widths=(64, 128), enc_channels=(128, 512, 1024, 2048),
                 enc_blocks=(3, 4, 6, 3), dec_width=256, tam_width=256, min_plane=64,
                 reg_channels=(256, 512, 1024, 2048), reg_blocks=(3, 3, 3, 3), reg_mlp=(512, 512, 512),
                 reg_outputs=61, heads=(21, 63, 1), input_size=256):
        super().__init__()
        s0, s1 = stem_widths
        map_size = (input_size // 4, input_size // 4)
        self.stem = nn.Sequential(conv_block(3, s0, 7, 2), conv_block(s0, s1, 7, 2))
        self.encs = nn.ModuleList([
            Encoder(s1 if k == 0 else s1 + dec_width, enc_channels, enc_blocks, min_plane) for k in range(stacks)])
        lat = list(enc_channels)[::-1]
        self.hm_decs = nn.ModuleList([Decoder(lat, dec_width, heads[0], map_size) for _ in range(stacks)])
        self.pof_decs = nn.ModuleList([Decoder(lat, dec_width, heads[1], map_size) for _ in range(stacks)])
        self.mask_decs = nn.ModuleList([Decoder(lat, dec_width, heads[2], map_size) for _ in range(stacks)])
        self.tams = nn.ModuleList([TAM(dec_width, tam_width) for _ in range(stacks)])
        # One regressor shared by all stacks; registering the same module K times makes state_dict()
        # repeat it under regressors.0..K-1 (as the real checkpoints do) while parameters() counts it once.
        reg = Regressor(s1 + dec_width, reg_channels, reg_blocks, min_plane, reg_mlp, reg_outputs)
        self.regressors = nn.ModuleList([reg] * stacks)

    def forward(self, x):
        """Returns one dict per stack: heatmaps, pof, mask (logit), coeffs (61)."""
        f0 = self.stem(x)
        inp, outs = f0, []
        for k in range(len(self.encs)):
            feats = self.encs[k](inp)
            fh, hm = self.hm_decs[k](feats)
            fp, pof = self.pof_decs[k](feats)
            fm, mask = self.mask_decs[k](feats)
            t = self.tams[k]([fh, fp, fm])
            inp = torch.cat([f0, t], dim=1)
            outs.append(dict(heatmaps=hm, pof=pof, mask=mask, coeffs=self.regressors[k](inp)))
        return outs


class BasicBlock(nn.Module):
    """torchvision ResNet basic block; key names conv1/bn1/conv2/bn2/downsample.{0,1}."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        r = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + r)


class ResNetBackbone(nn.Module):
    """conv1 7x7 s2, bn1, relu, maxpool 3x3 s2 p1, layer1..4 (first block of 2..4 strided). No fc."""

    def __init__(self, stem_width=64, widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, stem_width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_width)
        c = stem_width
        for i, (w, nb) in enumerate(zip(widths, blocks)):
            layer = []
            for b in range(nb):
                layer.append(BasicBlock(c, w, 2 if (i > 0 and b == 0) else 1))
                c = w
            setattr(self, f'layer{i + 1}', nn.Sequential(*layer))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        outs = []
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
            outs.append(x)
        return outs  # C2..C5


def _up_block(cin, cout):
    # Flat Sequential: keys 0 (conv 1x1), 1 (bn), 4 (conv 3x3), 5 (bn).
    return nn.Sequential(
        nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True),
        nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class HandDetector(nn.Module):
    """ResNet-18 backbone + upsampling head -> 5 maps at stride 4 (score, w, h, offset x, offset y)."""

    def __init__(self, stem_width=64, widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2), head=(32, 16, 8), outputs=5):
        super().__init__()
        self.backbone = ResNetBackbone(stem_width, widths, blocks)
        self.up1 = _up_block(widths[3], head[0])
        self.up2 = _up_block(head[0] + widths[2], head[1])
        self.up3 = _up_block(head[1] + widths[1], head[2])
        self.out = nn.Sequential(
            nn.Conv2d(head[2] + widths[0], head[2], 1, bias=False), nn.BatchNorm2d(head[2]), nn.ReLU(),
            nn.Conv2d(head[2], outputs, 3, 1, 1, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        c2, c3, c4, c5 = self.backbone(x)
        u = self.up1(c5)
        u = self.up2(torch.cat([u, c4], 1))
        u = self.up3(torch.cat([u, c3], 1))
        return self.out(torch.cat([u, c2], 1))


def heatmap_keypoints(maps):
    """maps: J x H x W. Returns J x 3 (row, col, maxval) in map pixels; confident when maxval > 0.4."""
    h = maps.clamp(0, 1)
    _, hh, ww = h.shape
    rows = torch.arange(hh, dtype=h.dtype).view(1, hh, 1)
    cols = torch.arange(ww, dtype=h.dtype).view(1, 1, ww)
    s = h.sum(dim=(1, 2)).clamp_min(1e-8)
    row = (h * rows).sum(dim=(1, 2)) / s
    col = (h * cols).sum(dim=(1, 2)) / s
    return torch.stack([row, col, h.amax(dim=(1, 2))], dim=1)


def weak_perspective(points, camera):
    """points: ... x 3, camera (s, tx, ty) -> ... x 2 in [0, 1] crop coordinates."""
    s, t = camera[..., :1], camera[..., 1:3]
    return (s * (points[..., :2] + t) + 1) / 2


def randomize_(model, gen):
    """Random weights AND random BatchNorm statistics (so a converter that drops them fails)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (1.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)
                m.num_batches_tracked.fill_(int(torch.randint(1, 10000, (1,), generator=gen)))
    return model


def count_convs(model):
    return sum(1 for m in model.modules() if isinstance(m, nn.Conv2d))


if __name__ == '__main__':
    # Layout check against the network page: prints key/parameter counts and the keys it names.
    net = HIUDMTL()
    sd = net.state_dict()
    unique = sum(p.numel() for p in net.parameters())
    print(f'HIU-DMTL: {len(sd)} state_dict keys, {unique / 1e6:.1f} M unique parameters, '
          f'{count_convs(net)} convs (counting the shared regressor once)')
    for key in ['stem.1.0.weight', 'encs.0.ops.1.0.convs.0.0.weight', 'encs.1.ops.0.0.residual.0.weight',
                'hm_decs.3.upsamples.2.3.1.running_var', 'hm_decs.0.predict.2.0.weight', 'pof_decs.0.predict.4.weight',
                'tams.0.convs.5.0.weight', 'regressors.3.0.ops.3.2.convs.2.0.weight',
                'regressors.3.2.3.0.bias', 'regressors.3.2.3.0.weight']:
        print(f'  {key}: {tuple(sd[key].shape)}')
    det = HandDetector()
    dsd = det.state_dict()
    print(f'hand detector: {len(dsd)} keys, {sum(p.numel() for p in det.parameters()) / 1e6:.2f} M parameters; '
          f'e.g. backbone.layer2.0.downsample.0.weight {tuple(dsd["backbone.layer2.0.downsample.0.weight"].shape)}, '
          f'out.3.weight {tuple(dsd["out.3.weight"].shape)}')
    with torch.no_grad():
        print('detector output', tuple(det.eval()(torch.zeros(1, 3, 256, 256)).shape))
