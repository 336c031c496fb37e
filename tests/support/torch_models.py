"""Models written in plain torch (no torchvision) for the torch front-end's tests and benchmarks."""

from __future__ import annotations

try:  # under pytest, skip cleanly without torch; benchmarks/ imports this file without pytest
    import pytest

    torch = pytest.importorskip("torch")
except ImportError:
    import torch

nn = torch.nn
F = torch.nn.functional


class NeuralNetwork(nn.Module):
    """Seed 003's model: its printed layers and its forward, as written there."""

    def __init__(self):
        super().__init__()
        self.cnn_layer_1 = nn.Conv2d(1, 16, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
        self.cnn_layer_2 = nn.Conv2d(16, 32, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
        self.flatten = nn.Flatten(start_dim=1, end_dim=-1)
        self.maxpool = nn.MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        self.linear_layer_1 = nn.Linear(in_features=1568, out_features=512, bias=True)
        self.linear_layer_2 = nn.Linear(in_features=512, out_features=128, bias=True)
        self.linear_layer_3 = nn.Linear(in_features=128, out_features=10, bias=True)
        self.relu = nn.ReLU()
        self.sigmoid = nn.Sigmoid()
        self.dropout = nn.Dropout(p=0.2, inplace=False)

    def forward(self, x):
        x = self.cnn_layer_1(x)
        x = self.dropout(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.cnn_layer_2(x)
        x = self.dropout(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.flatten(x)
        x = self.linear_layer_1(x)
        x = self.dropout(x)
        x = self.relu(x)
        x = self.linear_layer_2(x)
        x = self.dropout(x)
        x = self.relu(x)

        x = self.linear_layer_3(x)
        return x


class CnnBn(nn.Module):
    """Conv-BN-ReLU-pool twice, then a classifier."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.AvgPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 8 * 8, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def shortcut(cin, cout, stride):
    """ResNet's projection shortcut (1x1 conv + BN) where the block changes shape, else None (identity)."""
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(cin, cout, stride)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride=1):
        super().__init__()
        cout = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = shortcut(cin, cout, stride)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet-18 (BasicBlock, [2, 2, 2, 2]) or ResNet-50 (Bottleneck, [3, 4, 6, 3]) as torchvision builds them."""

    def __init__(self, block=BasicBlock, layers=(2, 2, 2, 2), num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        stages = []
        for i, n in enumerate(layers):
            width = 64 * 2**i
            blocks = []
            for j in range(n):
                blocks.append(block(cin, width, 2 if (j == 0 and i > 0) else 1))
                cin = width * (4 if block is Bottleneck else 1)
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18():
    return ResNet(BasicBlock, (2, 2, 2, 2))


def resnet50():
    return ResNet(Bottleneck, (3, 4, 6, 3))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True)]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNet V2 (width 1.0) as torchvision builds it: 3,504,872 parameters."""

    def __init__(self, num_classes=1000):
        super().__init__()
        settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2)]
        settings.append((6, 320, 1, 1))
        layers = [nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(inplace=True))]
        cin = 32
        for t, c, n, s in settings:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(nn.Sequential(nn.Conv2d(cin, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6(inplace=True)))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


class ViTBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class SmallViT(nn.Module):
    """A small vision transformer: patch conv, class token and position embedding as bare parameters."""

    def __init__(self, image=32, patch=8, dim=64, depth=2, heads=4, num_classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, patch)
        n = (image // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.zeros(1, n + 1, dim))
        self.blocks = nn.Sequential(*(ViTBlock(dim, heads) for _ in range(depth)))
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        x = self.ln(self.blocks(x))
        return self.head(x[:, 0])


class EncoderBlock(nn.Module):
    """torchvision's ViT encoder block: pre-norm attention and MLP, each with a residual add."""

    def __init__(self, heads, dim, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.dropout = nn.Dropout(0.0)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp, dim), nn.Dropout(0.0))

    def forward(self, input):
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class VisionTransformer(nn.Module):
    """ViT-B/16 as torchvision builds it (86,567,656 parameters at its defaults)."""

    def __init__(self, image=224, patch=16, layers=12, heads=12, dim=768, mlp=3072, classes=1000):
        super().__init__()
        self.conv_proj = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, dim))
        self.dropout = nn.Dropout(0.0)
        self.layers = nn.Sequential(*(EncoderBlock(heads, dim, mlp) for _ in range(layers)))
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.heads = nn.Linear(dim, classes)

    def forward(self, x):
        n = x.shape[0]
        x = self.conv_proj(x).reshape(n, self.conv_proj.out_channels, -1).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        x = self.ln(self.layers(self.dropout(x + self.pos_embedding)))
        return self.heads(x[:, 0])


class LSTMTagger(nn.Module):
    """Token ids in, a tag score per token out: embedding, 2-layer bidirectional LSTM, linear."""

    def __init__(self, vocab=100, dim=32, hidden=48, tags=7):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * hidden, tags)

    def forward(self, ids):
        h, _ = self.lstm(self.embed(ids))
        return F.log_softmax(self.out(h), dim=-1)


class Functional(nn.Module):
    """Work done in forward by functions, not modules: F.conv2d, @, torch.bmm, SDPA, einsum, an in-place add."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 3, 3, 3))
        self.bias = nn.Parameter(torch.zeros(8))
        self.wq = nn.Parameter(torch.randn(8, 8))
        self.wk = nn.Parameter(torch.randn(8, 8))
        self.wv = nn.Parameter(torch.randn(8, 8))
        self.we = nn.Parameter(torch.randn(8, 6))

    def forward(self, x):
        y = F.conv2d(x, self.weight, self.bias, padding=1)  # (B, 8, 16, 16)
        t = y.flatten(2).transpose(1, 2)  # (B, 256, 8)
        b, n, d = t.shape
        q, k, v = (t @ w for w in (self.wq, self.wk, self.wv))
        heads = [z.reshape(b, n, 2, 4).transpose(1, 2) for z in (q, k, v)]
        a = F.scaled_dot_product_attention(*heads, is_causal=True).transpose(1, 2).reshape(b, n, d)
        s = torch.bmm(t, a.transpose(1, 2)).softmax(-1)
        z = torch.bmm(s, t)
        z += a
        return torch.einsum("bld,de->ble", z, self.we).mean(1)


class SharedTwice(nn.Module):
    """One linear layer applied twice: two rows, its parameters counted once."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(20, 32)
        self.block = nn.Linear(32, 32)
        self.act = nn.Tanh()
        self.out = nn.Linear(32, 5)

    def forward(self, x):
        x = self.inp(x)
        x = self.act(self.block(x))
        x = self.act(self.block(x))
        return self.out(x)


class TiedLM(nn.Module):
    """A tiny language model whose output head shares the embedding's weight."""

    def __init__(self, vocab=50, dim=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, ids):
        return self.head(torch.relu(self.mix(self.embed(ids))))


class Encoder(nn.Module):
    """nn.TransformerEncoder (pre-norm, batch first) over a sequence of feature vectors."""

    def __init__(self, dim=32, heads=4, layers=2):
        super().__init__()
        layer = nn.TransformerEncoderLayer(dim, heads, 64, dropout=0.1, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(dim, 3)

    def forward(self, x):
        return self.head(self.encoder(x).mean(1))


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class DecoderLayer(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.heads = heads
        self.attention_norm = RMSNorm(dim)
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.ffn_norm = RMSNorm(dim)
        self.w1 = nn.Linear(dim, ffn, bias=False)
        self.w2 = nn.Linear(ffn, dim, bias=False)
        self.w3 = nn.Linear(dim, ffn, bias=False)

    def forward(self, x):
        b, n, d = x.shape
        h = self.attention_norm(x)
        q, k, v = (w(h).view(b, n, self.heads, d // self.heads).transpose(1, 2) for w in (self.wq, self.wk, self.wv))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.wo(a.transpose(1, 2).reshape(b, n, d))
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class Llama(nn.Module):
    """A Llama-style decoder (RMSNorm, causal SDPA, SwiGLU; no rotary embedding). Defaults are tiny."""

    def __init__(self, vocab=64, dim=32, layers=2, heads=4, ffn=88):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(DecoderLayer(dim, heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)

    def forward(self, ids):
        x = self.tok_embeddings(ids)
        for layer in self.layers:
            x = layer(x)
        return self.output(self.norm(x))


def llama_params(vocab, dim, layers, ffn):
    """Parameters of :class:`Llama`, by hand: embedding + per layer (4·d² + 3·d·ffn + 2·d) + norm + head."""
    return vocab * dim + layers * (4 * dim * dim + 3 * dim * ffn + 2 * dim) + dim + dim * vocab


class SmallUNet(nn.Module):
    """Down with conv and max pool, up with a transposed conv and nearest upsampling, skip by concatenation."""

    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.mid = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.up2 = nn.Upsample(scale_factor=2, mode="nearest")
        self.fuse = nn.Conv2d(16 + 16, 4, 1)
        self.gap = nn.AdaptiveAvgPool2d(3)

    def forward(self, x):
        d = self.down(x)
        m = self.mid(self.pool(d))
        h, w = d.shape[-2:]
        u = torch.cat([self.up(m)[..., :h, :w], d], dim=1)  # 15 -> ceil 8 -> 16, cropped back to 15
        w = self.up2(m)[..., :h, :w]
        return self.gap(self.fuse(torch.cat([u, w], dim=1)))


class Conv1dGRU(nn.Module):
    """1-d convolutions and pools over a signal, then a GRU over the time axis."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 12, 5, stride=2, padding=2, dilation=1)
        self.pool = nn.AvgPool1d(3, stride=2, padding=1)
        self.conv2 = nn.Conv1d(12, 12, 3, groups=3, dilation=2)
        self.gru = nn.GRU(12, 20, batch_first=True)
        self.amp = nn.AdaptiveMaxPool1d(4)

    def forward(self, x):
        x = self.conv2(self.pool(torch.relu(self.conv(x))))
        h, _ = self.gru(x.transpose(1, 2))
        return self.amp(h.transpose(1, 2))


class Upsampling(nn.Module):
    """Upsampling every way a model writes it: modules and F.interpolate, by scale and by size, nearest, bilinear,
    bicubic, linear (a signal) and trilinear (a volume)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.near = nn.Upsample(scale_factor=2)
        self.bilinear = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.bicubic = nn.Upsample(size=(16, 16), mode="bicubic", align_corners=True)
        self.builtin = nn.UpsamplingBilinear2d(scale_factor=2)
        self.linear = nn.Upsample(scale_factor=3, mode="linear")

    def forward(self, x):
        y = self.conv(x)  # (B, 4, 8, 8)
        image = self.near(y) + self.bilinear(y) + self.bicubic(y) + self.builtin(y)
        image = image + F.interpolate(y, size=16, mode="bilinear") + F.interpolate(y, scale_factor=2.0)
        signal = self.linear(y.flatten(2))  # (B, 4, 192)
        volume = F.interpolate(y.unsqueeze(2), scale_factor=2, mode="trilinear")  # (B, 4, 2, 16, 16)
        return image, signal, volume


def mlp(layers=100, width=512):
    return nn.Sequential(*(m for _ in range(layers) for m in (nn.Linear(width, width), nn.ReLU())))


def conv_chain(layers=1000, channels=16):
    return nn.Sequential(*(m for _ in range(layers) for m in (nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())))


def long_ids(*size):
    return torch.randint(0, 10, size)


# name -> (factory, example input for a real forward, published parameter count or None)
ZOO = {
    "cnn_bn": (CnnBn, lambda: torch.randn(2, 3, 32, 32), None),
    "resnet18": (resnet18, lambda: torch.randn(1, 3, 112, 112), 11_689_512),
    "mobilenet_v2": (MobileNetV2, lambda: torch.randn(1, 3, 96, 96), 3_504_872),
    "small_vit": (SmallViT, lambda: torch.randn(2, 3, 32, 32), None),
    "lstm_tagger": (LSTMTagger, lambda: long_ids(2, 12), None),
    "functional": (Functional, lambda: torch.randn(2, 3, 16, 16), None),
    "shared_twice": (SharedTwice, lambda: torch.randn(4, 20), None),
    "tied_lm": (TiedLM, lambda: long_ids(2, 9), None),
    "encoder": (Encoder, lambda: torch.randn(2, 10, 32), None),
    "llama": (Llama, lambda: long_ids(1, 16), None),
    "small_unet": (SmallUNet, lambda: torch.randn(1, 3, 15, 15), None),
    "conv1d_gru": (Conv1dGRU, lambda: torch.randn(2, 2, 64), None),
    "mlp_10": (lambda: mlp(10, 64), lambda: torch.randn(3, 64), None),
}
