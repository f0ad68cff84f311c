"""PyTorch CPU counterpart of bench/encoders.ts: the same ViT and CLIP text transformer
(timm / open_clip layout, F.scaled_dot_product_attention as both libraries use), timed for
forward + backward of sum(features ** 2). Prints one JSON line that bench/encoders.ts reads.

  .venv/bin/python bench/encoders_torch.py '{"batch": 64, "reps": 5, "vit": {...}, "text": {...}}'
"""
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    def __init__(self, width, heads, causal):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        b, t, w = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.proj(out.transpose(1, 2).reshape(b, t, w))


class Block(nn.Module):
    def __init__(self, width, heads, mlp_ratio, causal, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=eps)
        self.attn = Attention(width, heads, causal)
        self.norm2 = nn.LayerNorm(width, eps=eps)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, imageSize, patchSize, width, depth, heads, mlpRatio=4, channels=3):
        super().__init__()
        tokens = (imageSize // patchSize) ** 2 + 1
        self.proj = nn.Conv2d(channels, width, patchSize, stride=patchSize)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads, mlpRatio, False, 1e-6) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, eps=1e-6)

    def forward(self, images):
        x = self.proj(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x[:, 0])


class TextTransformer(nn.Module):
    def __init__(self, vocabSize, contextLength, width, depth, heads, mlpRatio=4):
        super().__init__()
        self.token_embedding = nn.Embedding(vocabSize, width)
        self.positional_embedding = nn.Parameter(torch.randn(contextLength, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads, mlpRatio, True, 1e-5) for _ in range(depth)])
        self.ln_final = nn.LayerNorm(width)

    def forward(self, ids, eot):
        x = self.token_embedding(ids) + self.positional_embedding[: ids.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.ln_final(x[torch.arange(x.shape[0]), eot])


def measure(model, inputs, reps):
    """Median ms of forward + backward, and the bytes autograd keeps for backward (distinct storages)."""
    kept = {}

    def pack(t):
        kept[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    def step(record):
        model.zero_grad(set_to_none=True)
        if record:
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                out = model(*inputs)
        else:
            out = model(*inputs)
        (out ** 2).sum().backward()

    step(False)  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step(False)
        times.append((time.perf_counter() - start) * 1000)
    step(True)
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    activation_bytes = sum(n for ptr, n in kept.items() if ptr not in params)
    return {"ms": sorted(times)[len(times) // 2], "keptBytes": activation_bytes}


def main():
    cfg = json.loads(sys.argv[1])
    torch.manual_seed(0)
    batch, reps = cfg["batch"], cfg["reps"]
    v, t = cfg["vit"], cfg["text"]
    vit = ViT(v["imageSize"], v["patchSize"], v["width"], v["depth"], v["heads"])
    images = torch.randn(batch, 3, v["imageSize"], v["imageSize"])
    text = TextTransformer(t["vocabSize"], t["contextLength"], t["width"], t["depth"], t["heads"])
    ids = torch.randint(0, t["vocabSize"], (batch, t["contextLength"]))
    eot = torch.randint(1, t["contextLength"], (batch,))
    result = {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "vit": measure(vit, (images,), reps),
        "text": measure(text, (ids, eot), reps),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
