"""Reference values for the engine: torch.optim.AdamW steps, SLIP's cosine learning-rate
schedule, torch's clip_grad_norm_, and a safetensors file written by the Python library.

Run: .venv/bin/python test/reference/engine.py   (writes test/fixtures/engine/*)
"""
import json
import math
import os

import numpy as np
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "engine")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)


def adamw():
    # two parameters: one with decay, one without (a bias-like vector)
    w = torch.randn(3, 4)
    b = torch.randn(4)
    grads = [(torch.randn(3, 4), torch.randn(4)) for _ in range(5)]
    lrs = [1e-2, 2e-2, 5e-3, 1e-3, 3e-2]
    pw, pb = torch.nn.Parameter(w.clone()), torch.nn.Parameter(b.clone())
    opt = torch.optim.AdamW(
        [{"params": [pw], "weight_decay": 0.1}, {"params": [pb], "weight_decay": 0.0}],
        lr=1e-2, betas=(0.9, 0.98), eps=1e-8,
    )
    history = []
    for (gw, gb), lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        pw.grad, pb.grad = gw.clone(), gb.clone()
        opt.step()
        history.append({"w": pw.detach().flatten().tolist(), "b": pb.detach().flatten().tolist()})
    state_w = opt.state[pw]
    return {
        "w0": w.flatten().tolist(), "b0": b.flatten().tolist(),
        "grads": [{"w": gw.flatten().tolist(), "b": gb.flatten().tolist()} for gw, gb in grads],
        "lrs": lrs, "betas": [0.9, 0.98], "eps": 1e-8, "weightDecay": 0.1,
        "history": history,
        "exp_avg_w": state_w["exp_avg"].flatten().tolist(),
        "exp_avg_sq_w": state_w["exp_avg_sq"].flatten().tolist(),
    }


def slip_cosine_scheduler(base_value, final_value, epochs, niter_per_ep, warmup_epochs=0, start_warmup_value=0):
    # SLIP's utils.cosine_scheduler, written out from its description
    warmup_schedule = np.array([])
    warmup_iters = warmup_epochs * niter_per_ep
    if warmup_epochs > 0:
        warmup_schedule = np.linspace(start_warmup_value, base_value, warmup_iters)
    iters = np.arange(epochs * niter_per_ep - warmup_iters)
    schedule = final_value + 0.5 * (base_value - final_value) * (1 + np.cos(np.pi * iters / len(iters)))
    return np.concatenate((warmup_schedule, schedule))


def schedule():
    cases = []
    for total, warmup, peak, start, end in [(20, 5, 3e-3, 1e-6, 1e-5), (10, 0, 1e-3, 0.0, 0.0), (7, 1, 0.5, 0.1, 0.01)]:
        values = slip_cosine_scheduler(peak, end, total, 1, warmup, start)
        cases.append({"total": total, "warmup": warmup, "peak": peak, "start": start, "end": end, "values": values.tolist()})
    return cases


def clip_norm():
    g = [torch.randn(3, 4) * 3, torch.randn(5)]
    params = [torch.nn.Parameter(torch.zeros_like(x)) for x in g]
    for p, x in zip(params, g):
        p.grad = x.clone()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm=1.5)
    return {"grads": [x.flatten().tolist() for x in g], "shapes": [list(x.shape) for x in g], "maxNorm": 1.5,
            "norm": float(norm), "clipped": [p.grad.flatten().tolist() for p in params]}


save_file({"a.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4), "b": torch.tensor([1, -2, 3], dtype=torch.int32)},
          os.path.join(OUT, "python-written.safetensors"), metadata={"producer": "python"})
with open(os.path.join(OUT, "reference.json"), "w") as f:
    json.dump({"adamw": adamw(), "schedule": schedule(), "clipNorm": clip_norm()}, f)
print("wrote", OUT)
