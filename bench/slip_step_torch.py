"""PyTorch twin for bench/slip-step.ts: the same SLIP model (ViT image encoder, CLIP-style
causal text transformer, CLIP loss + SimCLR NT-Xent through a Linear-BN-ReLU MLP head, AdamW),
timed on the CPU. Prints one JSON line: {"msPerStep", "cpuMsPerStep" (process CPU time, all threads), "imgPerSec", "peakGiB", "matmulGflops", "threads", "variant"}.

By default it is written as a PyTorch user who cares about speed would write it: AdamW with
`fused=True` (one kernel over all parameters) and one ViT pass over the three views
concatenated (the ViT has LayerNorm only, so batching the views changes no result).
--optimizer foreach|for-loop and --vit-passes 3 give the older, slower forms for comparison;
--compile wraps the loss (and so its backward) in torch.compile (inductor; the warm-up step compiles).

Usage: python bench/slip_step_torch.py --model small --batch 64 --steps 3 [--compile]
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = {
    # image: size, patch, width, depth, heads; text: width, depth, heads, context; embed; simclr head
    "small": dict(img=64, patch=8, vw=192, vd=6, vh=3, tw=256, td=4, th=4, ctx=32, embed=256, head=(4096, 4096, 256)),
    "vits16": dict(img=224, patch=16, vw=384, vd=12, vh=6, tw=512, td=12, th=8, ctx=77, embed=512, head=(4096, 4096, 256)),
}
VOCAB = 49408


class Block(nn.Module):
    def __init__(self, width, heads, causal):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.norm1 = nn.LayerNorm(width, eps=1e-6 if not causal else 1e-5)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width, eps=1e-6 if not causal else 1e-5)
        self.fc1 = nn.Linear(width, 4 * width)
        self.fc2 = nn.Linear(4 * width, width)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, c))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, img, patch, width, depth, heads):
        super().__init__()
        self.patch = patch
        self.embed = nn.Linear(3 * patch * patch, width)
        self.cls = nn.Parameter(torch.zeros(1, 1, width))
        self.pos = nn.Parameter(torch.randn(1, (img // patch) ** 2 + 1, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads, False) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, eps=1e-6)

    def forward(self, x):  # x: [B, 3, H, W]
        b = x.shape[0]
        p = x.unfold(2, self.patch, self.patch).unfold(3, self.patch, self.patch)  # B,3,h,w,p,p
        p = p.permute(0, 2, 3, 1, 4, 5).reshape(b, -1, 3 * self.patch * self.patch)
        x = torch.cat([self.cls.expand(b, -1, -1), self.embed(p)], 1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, 0]


class TextTransformer(nn.Module):
    def __init__(self, width, depth, heads, ctx):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, width)
        self.pos = nn.Parameter(torch.randn(ctx, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads, True) for _ in range(depth)])
        self.ln = nn.LayerNorm(width)

    def forward(self, ids, eot):
        x = self.tok(ids) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.ln(x)[torch.arange(ids.shape[0]), eot]


def simclr_head(inp, hidden1, hidden2, out):
    return nn.Sequential(nn.Linear(inp, hidden1), nn.BatchNorm1d(hidden1), nn.ReLU(), nn.Linear(hidden1, hidden2),
                         nn.BatchNorm1d(hidden2), nn.ReLU(), nn.Linear(hidden2, out))


def nt_xent(z1, z2, t=0.1):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    logits = z @ z.t() / t
    logits = logits - torch.eye(2 * n) * 1e9
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, target)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="small", choices=MODELS)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=3)
    # cuda: the GPU twin of slipkit's webgpu step (bench/gpu/run-device.sh), in strict fp32 (TF32 off).
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--optimizer", default="fused", choices=["fused", "foreach", "for-loop"],
                    help="AdamW implementation: fused (one kernel), foreach (multi-tensor), for-loop (per tensor)")
    ap.add_argument("--vit-passes", type=int, default=1, choices=[1, 3],
                    help="1: one ViT pass over the three views concatenated; 3: one pass per view")
    ap.add_argument("--compile", action="store_true", help="torch.compile the loss and its backward (inductor)")
    args = ap.parse_args()
    m = MODELS[args.model]
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.set_float32_matmul_precision("highest")
        torch.set_default_device("cuda")
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    torch.manual_seed(0)
    vit = ViT(m["img"], m["patch"], m["vw"], m["vd"], m["vh"])
    txt = TextTransformer(m["tw"], m["td"], m["th"], m["ctx"])
    img_proj = nn.Linear(m["vw"], m["embed"], bias=False)
    txt_proj = nn.Linear(m["tw"], m["embed"], bias=False)
    head = simclr_head(m["vw"], *m["head"])
    logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    params = [*vit.parameters(), *txt.parameters(), *img_proj.parameters(), *txt_proj.parameters(), *head.parameters(), logit_scale]
    kind = {"fused": dict(fused=True), "foreach": dict(foreach=True), "for-loop": dict(foreach=False)}[args.optimizer]
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.98), weight_decay=0.1, **kind)
    b, s = args.batch, m["img"]
    views = [torch.rand(b, 3, s, s) for _ in range(3)]
    ids = torch.randint(1, VOCAB - 2, (b, m["ctx"]))
    eot = torch.full((b,), m["ctx"] - 1)

    all_views = torch.cat(views)

    def loss():
        if args.vit_passes == 1:
            f0, f1, f2 = vit(all_views).split(b)
        else:
            f0, f1, f2 = vit(views[0]), vit(views[1]), vit(views[2])
        ie = F.normalize(img_proj(f0), dim=-1)
        te = F.normalize(txt_proj(txt(ids, eot)), dim=-1)
        logits = logit_scale.exp() * ie @ te.t()
        labels = torch.arange(b)
        clip = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        # The head's BatchNorm normalises each view on its own, as in SLIP.
        ssl = nt_xent(head(f1), head(f2))
        return clip + ssl

    # Compiling the loss compiles its backward too (AOTAutograd); the optimizer stays eager.
    compute_loss = torch.compile(loss) if args.compile else loss

    def step():
        opt.zero_grad(set_to_none=True)
        compute_loss().backward()
        opt.step()
        with torch.no_grad():
            logit_scale.clamp_(0, math.log(100))

    step()  # warm-up
    sync()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    sync()
    ms = (time.perf_counter() - t0) * 1000 / args.steps
    cpu_ms = (time.process_time() - c0) * 1000 / args.steps
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    if args.device == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**30
    print(json.dumps({"msPerStep": ms, "cpuMsPerStep": cpu_ms, "imgPerSec": b * 1000 / ms, "peakGiB": peak, "device": args.device, "matmulGflops": matmul_gflops(1024), "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "variant": variant_name(args)}))


def variant_name(args):
    """A short name of the twin's form, for the benchmark's table."""
    parts = [f"{args.optimizer} AdamW", "1 ViT pass" if args.vit_passes == 1 else "3 ViT passes"]
    return ", ".join(parts + (["compiled"] if args.compile else []))


def matmul_gflops(n, budget_s=0.5):
    """Square float32 matmul rate, to tell how fast this machine's BLAS is for PyTorch."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b  # warm-up
    reps, t0 = 0, time.perf_counter()
    while reps < 2 or time.perf_counter() - t0 < budget_s:
        a @ b
        reps += 1
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


if __name__ == "__main__":
    main()
