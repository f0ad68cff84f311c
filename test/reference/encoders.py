"""Reference outputs and gradients for slipkit's `vit` image encoder and `text-transformer`
text encoder, from a plain PyTorch implementation of the same two architectures (timm's
VisionTransformer and open_clip's text tower, written out here without either library).

Weights are random (seeded) and larger than a fresh initialisation so that every part of
the network matters; they are saved in PyTorch layout under timm / open_clip names,
together with the inputs, the outputs and the gradients of loss = sum(pooled ** 2) with
respect to some parameters. Everything is computed in float64 and stored as float32.

Run: .venv/bin/python test/reference/encoders.py   (writes test/fixtures/encoders/*.json)
"""
import base64
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "encoders")
os.makedirs(OUT, exist_ok=True)


class Attention(nn.Module):
    """Multi-head self-attention with a packed q|k|v projection (timm's Attention)."""

    def __init__(self, width, heads, causal):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def qkv_params(self):
        return self.qkv.weight, self.qkv.bias

    def forward(self, x):
        b, t, w = x.shape
        d = w // self.heads
        weight, bias = self.qkv_params()
        qkv = F.linear(x, weight, bias).reshape(b, t, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(d)
        if self.causal:
            mask = torch.ones(t, t, dtype=torch.bool).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, w)
        return self.proj(out)


class OpenClipAttention(Attention):
    """Same computation under nn.MultiheadAttention's parameter names."""

    def __init__(self, width, heads, causal):
        nn.Module.__init__(self)
        self.heads, self.causal = heads, causal
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * width))
        self.out_proj = nn.Linear(width, width)

    def qkv_params(self):
        return self.in_proj_weight, self.in_proj_bias

    @property
    def proj(self):
        return self.out_proj


class Mlp(nn.Module):
    def __init__(self, width, hidden, names):
        super().__init__()
        self.names = names
        setattr(self, names[0], nn.Linear(width, hidden))
        setattr(self, names[1], nn.Linear(hidden, width))

    def forward(self, x):
        return getattr(self, self.names[1])(F.gelu(getattr(self, self.names[0])(x)))


class TimmBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=1e-6)
        self.attn = Attention(width, heads, causal=False)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.mlp = Mlp(width, 4 * width, ("fc1", "fc2"))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = OpenClipAttention(width, heads, causal=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = Mlp(width, 4 * width, ("c_fc", "c_proj"))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class PatchEmbed(nn.Module):
    def __init__(self, channels, width, patch):
        super().__init__()
        self.proj = nn.Conv2d(channels, width, patch, stride=patch)


class VisionTransformer(nn.Module):
    def __init__(self, image, patch, channels, width, depth, heads):
        super().__init__()
        tokens = (image // patch) ** 2 + 1
        self.patch_embed = PatchEmbed(channels, width, patch)
        self.cls_token = nn.Parameter(torch.empty(1, 1, width))
        self.pos_embed = nn.Parameter(torch.empty(1, tokens, width))
        self.blocks = nn.ModuleList([TimmBlock(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, eps=1e-6)

    def forward(self, images_nchw):
        x = self.patch_embed.proj(images_nchw).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        tokens = self.norm(x)
        return tokens[:, 0], tokens


class Transformer(nn.Module):
    def __init__(self, width, depth, heads):
        super().__init__()
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads) for _ in range(depth)])


class TextTransformer(nn.Module):
    def __init__(self, vocab, context, width, depth, heads):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, width)
        self.positional_embedding = nn.Parameter(torch.empty(context, width))
        self.transformer = Transformer(width, depth, heads)
        self.ln_final = nn.LayerNorm(width)

    def forward(self, ids, eot):
        x = self.token_embedding(ids) + self.positional_embedding[: ids.shape[1]]
        for block in self.transformer.resblocks:
            x = block(x)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), eot]


def randomise(model, gen):
    """Random float32-representable weights: scaled so no part of the network is negligible."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name.endswith("ln_1.weight") \
                    or name.endswith("ln_2.weight") or name in ("norm.weight", "ln_final.weight"):
                values = 1 + 0.2 * torch.randn(p.shape, generator=gen)
            elif p.dim() == 1:  # biases, LayerNorm shifts
                values = 0.1 * torch.randn(p.shape, generator=gen)
            elif name in ("cls_token", "pos_embed", "positional_embedding"):
                values = 0.5 * torch.randn(p.shape, generator=gen)
            elif name == "token_embedding.weight":
                values = torch.randn(p.shape, generator=gen)
            else:  # linear / conv weights [out, in, ...]
                fan_in = p[0].numel()
                values = torch.randn(p.shape, generator=gen) / math.sqrt(fan_in)
            p.copy_(values.float().double())


def f32(t):
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    return {"shape": list(a.shape), "f32": base64.b64encode(a.tobytes()).decode("ascii")}


def save(name, doc):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def vit_fixture():
    config = dict(imageSize=16, patchSize=4, channels=3, width=32, depth=2, heads=2, mlpRatio=4)
    gen = torch.Generator().manual_seed(1)
    model = VisionTransformer(16, 4, 3, 32, 2, 2).double()
    randomise(model, gen)
    images_nhwc = torch.randn(2, 16, 16, 3, generator=gen).float().double()
    pooled, tokens = model(images_nhwc.permute(0, 3, 1, 2))
    loss = (pooled ** 2).sum()
    grad_names = ["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
                  "blocks.0.norm1.weight", "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias",
                  "blocks.0.attn.proj.weight", "blocks.1.mlp.fc1.weight", "blocks.1.mlp.fc2.bias",
                  "blocks.1.norm2.bias", "norm.weight", "norm.bias"]
    params = dict(model.named_parameters())
    grads = torch.autograd.grad(loss, [params[n] for n in grad_names])
    save("vit.json", {
        "about": "test/reference/encoders.py: timm-style ViT in PyTorch (float64); params in PyTorch layout, float32 little-endian base64",
        "config": config,
        "params": {n: f32(p) for n, p in params.items()},
        "images": f32(images_nhwc),
        "pooled": f32(pooled),
        "tokens": f32(tokens),
        "loss": "sum(pooled ** 2)",
        "grads": {n: f32(g) for n, g in zip(grad_names, grads)},
    })


def text_fixture():
    vocab, context, width, depth, heads = 64, 8, 32, 2, 2
    config = dict(vocabSize=vocab, contextLength=context, width=width, depth=depth, heads=heads, mlpRatio=4)
    gen = torch.Generator().manual_seed(2)
    model = TextTransformer(vocab, context, width, depth, heads).double()
    randomise(model, gen)
    # rows end at different positions; the end token is the largest id, padding is 0 (as CLIP's)
    eot = torch.tensor([7, 3, 5])
    ids = torch.randint(1, vocab - 2, (3, context), generator=gen)
    for row, end in enumerate(eot.tolist()):
        ids[row, 0] = vocab - 2
        ids[row, end] = vocab - 1
        ids[row, end + 1:] = 0
    pooled = model(ids, eot)
    loss = (pooled ** 2).sum()
    grad_names = ["token_embedding.weight", "positional_embedding",
                  "transformer.resblocks.0.ln_1.weight", "transformer.resblocks.0.attn.in_proj_weight",
                  "transformer.resblocks.0.attn.in_proj_bias", "transformer.resblocks.0.attn.out_proj.weight",
                  "transformer.resblocks.1.mlp.c_fc.weight", "transformer.resblocks.1.mlp.c_proj.bias",
                  "transformer.resblocks.1.ln_2.bias", "ln_final.weight", "ln_final.bias"]
    params = dict(model.named_parameters())
    grads = torch.autograd.grad(loss, [params[n] for n in grad_names])
    save("text-transformer.json", {
        "about": "test/reference/encoders.py: open_clip-style causal text transformer in PyTorch (float64); params in PyTorch layout, float32 little-endian base64",
        "config": config,
        "params": {n: f32(p) for n, p in params.items()},
        "ids": ids.flatten().tolist(),
        "idsShape": list(ids.shape),
        "eot": eot.tolist(),
        "pooled": f32(pooled),
        "loss": "sum(pooled ** 2)",
        "grads": {n: f32(g) for n, g in zip(grad_names, grads)},
    })


if __name__ == "__main__":
    torch.set_grad_enabled(True)
    vit_fixture()
    text_fixture()
