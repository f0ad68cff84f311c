"""Reference values for the second group of slipkit's SSL objectives, the multi-crop position
embedding and the patch masking, computed with lightly and timm (float32, like tfjs):

  dcl, dclw   lightly.loss.DCLLoss / DCLWLoss on a SimCLR projection head
  dino        lightly DINOProjectionHead (weight-normalised last layer) + DINOLoss: multi-crop
              cross-entropy (2 global teacher views vs every other student view), centering,
              teacher temperature at a warmup step, and the center after its EMA update
  swav        lightly SwaVProjectionHead + SwaVLoss and its sinkhorn, 2 high + 2 low
              resolution crops, without and with a (full) queue
  nnclr       lightly NNCLRProjectionHead / NNCLRPredictionHead and NNMemoryBankModule for the
              nearest neighbours, the loss of the NNCLR paper (eq. 2, symmetrised)
  pos-embed   timm.layers.resample_abs_pos_embed (bicubic, with and without antialias)
  masking     lightly.models.utils.random_token_mask under a fixed torch seed, with its noise
  mae         facebookresearch/mae's forward_decoder + forward_loss (norm_pix_loss) written out
              with timm's Block, lightly's patchify, random_token_mask and 2-D sine-cosine
              position embedding

Where lightly and the method's official code differ, the fixture follows the official code:
  - SwAV: lightly's SwaVPrototypes is an nn.Linear with a bias; facebookresearch/swav's
    prototypes have none (bias=False). The fixture zeroes the bias and freezes it.
  - MAE: lightly's MAE example regresses raw pixels (MSELoss on the masked patches); MAE's
    pretraining recipes set norm_pix_loss (per-patch normalised targets). The fixture uses it.
  - NNCLR: lightly's example trains NNCLR with NTXentLoss, whose denominator also holds the
    other samples of the same view; the NNCLR paper's eq. 2 contrasts NN(z_i) against the other
    view's predictions only (there is no released official code). The fixture writes eq. 2.
Arrays are {shape, f32} (little-endian float32, base64) under slipkit's parameter names, in
PyTorch layout; the objective harness (test/plugins/objectives/support/harness.ts) reads them.

Run: .venv-ref/bin/python test/reference/zoo.py   (writes test/fixtures/objectives/{dcl,dclw,dino,swav,swav-queue,nnclr}.json
     and test/fixtures/zoo/{pos-embed,masking}.json)
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from lightly.loss import DCLLoss, DCLWLoss, DINOLoss, SwaVLoss
from lightly.models.modules import NNMemoryBankModule
from lightly.models.modules.heads import (DINOProjectionHead, NNCLRPredictionHead, NNCLRProjectionHead,
                                          SimCLRProjectionHead, SwaVProjectionHead)
from functools import partial

from lightly.models.utils import get_2d_sine_cosine_positional_embedding, patchify, random_token_mask
from timm.models.vision_transformer import Block
from timm.layers import resample_abs_pos_embed

sys.path.insert(0, os.path.dirname(__file__))
from objectives import encode, scalars, write  # noqa: E402  (same fixture format)


def randomize(module, gen):
    """As objectives.py's randomize, by module type (lightly's heads are named layers.0, layers.1, ...)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm1d) and m.affine:
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=gen))
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) / math.sqrt(m.weight.shape[1]))
                if m.bias is not None:
                    m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
    module.train()
    return module

ROOT = os.path.join(os.path.dirname(__file__), "..", "fixtures")
BATCH = 8
FEATURE_DIM = 16


def features(gen, views, base=None):
    """`views` correlated views of one batch (as crops of one image are)."""
    base = torch.randn(BATCH, FEATURE_DIM, generator=gen) if base is None else base
    return [(0.8 * base + 0.6 * torch.randn(BATCH, FEATURE_DIM, generator=gen)).requires_grad_(True) for _ in range(views)], base


def linears(module):
    return [m for m in module.modules() if isinstance(m, (nn.Linear, nn.BatchNorm1d))]


def head_names(module, prefix):
    """slipkit Mlp names for a lightly ProjectionHead: Linear k -> layerk, BatchNorm after it -> bnk."""
    names = {}
    k = 0
    for m in linears(module):
        if isinstance(m, nn.Linear):
            k += 1
            names[m] = f"{prefix}.layer{k}"
        else:
            names[m] = f"{prefix}.bn{k}"
    return names


def named(module, prefix, grads=False):
    out = {}
    for m, name in head_names(module, prefix).items():
        for pname, p in m.named_parameters(recurse=False):
            if p.requires_grad:
                out[f"{name}.{pname}"] = encode(p.grad if grads else p)
    return out


def fixture(name, options, feats, params, loss, metrics=None, momentum=None, targets=None, extra=None):
    payload = {
        "options": {"inputDim": FEATURE_DIM, **options},
        "inputs": {"features": [encode(f) for f in feats]},
        "params": params["values"],
        "expected": {
            "loss": float(loss.detach()),
            "metrics": scalars(metrics or {}),
            "inputGrads": {f"features.{i}": encode(f.grad) for i, f in enumerate(feats)},
            "paramGrads": params["grads"],
        },
    }
    if momentum is not None:
        payload["inputs"]["momentumFeatures"] = [encode(m) for m in momentum]
    if targets is not None:
        payload["targetParams"] = targets
    payload.update(extra or {})
    write(name, payload)


# --------------------------------------------------------------------------- dcl, dclw
def dcl_fixture(gen, name, criterion, options):
    head = randomize(SimCLRProjectionHead(FEATURE_DIM, 32, 12), gen)
    (f1, f2), _ = features(gen, 2)
    loss = criterion(head(f1), head(f2))
    loss.backward()
    fixture(name, {"head": {"hidden": [32], "out": 12}, **options}, [f1, f2],
            {"values": named(head, "projector"), "grads": named(head, "projector", grads=True)}, loss)


# --------------------------------------------------------------------------- dino
def dino_head(gen):
    head = DINOProjectionHead(FEATURE_DIM, 32, 12, 20, batch_norm=False, norm_last_layer=True)
    with torch.no_grad():
        for m in head.layers:
            if isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) / math.sqrt(m.weight.shape[1]))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
        head.last_layer.weight_v.copy_(torch.randn(head.last_layer.weight_v.shape, generator=gen))
    return head


def dino_params(head, grads=False):
    out = {}
    k = 0
    for m in head.layers:
        if isinstance(m, nn.Linear):
            k += 1
            out[f"head.layer{k}.weight"] = encode(m.weight.grad if grads else m.weight)
            out[f"head.layer{k}.bias"] = encode(m.bias.grad if grads else m.bias)
    v = head.last_layer.weight_v
    out["head.last_layer.weight"] = encode(v.grad if grads else v)  # weight_g is 1 and frozen (norm_last_layer)
    return out


def dino_fixture(gen):
    student, teacher = dino_head(gen), dino_head(gen)
    for p in teacher.parameters():
        p.requires_grad = False
    feats, base = features(gen, 4)  # 2 global + 2 local crops
    momentum = [(f.detach() + 0.3 * torch.randn(BATCH, FEATURE_DIM, generator=gen)) for f in feats[:2]]
    warmup, step = 10, 3
    criterion = DINOLoss(output_dim=20, warmup_teacher_temp=0.04, teacher_temp=0.07,
                         warmup_teacher_temp_epochs=warmup, student_temp=0.1, center_momentum=0.9)
    center = 0.5 * torch.randn(1, 1, 20, generator=gen)
    criterion.center.copy_(center)
    loss = criterion([teacher(m) for m in momentum], [student(f) for f in feats], epoch=step)
    loss.backward()
    teacher_temp = float(criterion.teacher_temp_schedule[step])
    fixture("dino", {
        "views": ["global", "global", "local", "local"], "globalViews": 2, "outDim": 20, "head": {"hidden": [32, 32], "bottleneck": 12},
        "teacherTemperature": {"start": 0.04, "end": 0.07, "warmupSteps": warmup},
        "studentTemperature": 0.1, "centerMomentum": 0.9, "freezeLastLayerSteps": 0,
    }, feats, {"values": dino_params(student), "grads": dino_params(student, grads=True)}, loss,
        metrics={"teacher_temp": torch.tensor(teacher_temp)}, momentum=momentum,
        targets={k: v for k, v in dino_params(teacher).items()},
        extra={"step": step, "center": {"before": encode(center.reshape(20)), "after": encode(criterion.center.reshape(20))},
               "teacherTemperatureAtStep": teacher_temp})


# --------------------------------------------------------------------------- swav
def swav_fixture(gen, with_queue):
    projector = randomize(SwaVProjectionHead(FEATURE_DIM, 32, 12), gen)
    prototypes = nn.Linear(12, 10, bias=False)  # facebookresearch/swav: bias=False (lightly's has a bias)
    with torch.no_grad():
        prototypes.weight.copy_(F.normalize(torch.randn(10, 12, generator=gen), dim=1))
    feats, _ = features(gen, 4)  # crops 0, 1 high resolution, 2, 3 low resolution
    z = [F.normalize(projector(f), dim=1) for f in feats]
    scores = [prototypes(e) for e in z]
    criterion = SwaVLoss(temperature=0.1, sinkhorn_iterations=3, sinkhorn_epsilon=0.05)
    queue = None
    queue_outputs = None
    queue_size = 16
    if with_queue:
        queue = F.normalize(torch.randn(2, queue_size, 12, generator=gen), dim=2)
        with torch.no_grad():
            queue_outputs = [queue[i] @ prototypes.weight.t() for i in range(2)]
    loss = criterion(scores[:2], scores[2:], queue_outputs)
    loss.backward()
    values = named(projector, "projector")
    values["prototypes.weight"] = encode(prototypes.weight)
    grads = named(projector, "projector", grads=True)
    grads["prototypes.weight"] = encode(prototypes.weight.grad)
    options = {"views": ["global", "global", "local", "local"], "globalViews": 2, "projector": {"hidden": [32], "out": 12}, "prototypes": 10,
               "temperature": 0.1, "sinkhorn": {"iterations": 3, "epsilon": 0.05}, "freezePrototypesSteps": 0}
    extra = {}
    if with_queue:
        options["queueSize"] = queue_size
        # facebookresearch/swav: queue[i, bs:] = queue[i, :-bs]; queue[i, :bs] = embedding of crop i
        after = torch.cat([torch.stack([z[i].detach() for i in range(2)]), queue[:, :-BATCH]], dim=1)
        extra = {"queue": {"before": encode(queue), "after": encode(after)}}
    fixture("swav-queue" if with_queue else "swav", options, feats, {"values": values, "grads": grads}, loss, extra=extra)


# --------------------------------------------------------------------------- nnclr
def nnclr_fixture(gen):
    projector = randomize(NNCLRProjectionHead(FEATURE_DIM, 32, 12), gen)
    predictor = randomize(NNCLRPredictionHead(12, 20, 12), gen)
    (f1, f2), _ = features(gen, 2)
    bank_size = 24
    memory = NNMemoryBankModule(size=(bank_size, 12))
    bank = torch.randn(bank_size, 12, generator=gen)
    memory.bank.copy_(bank)
    memory.bank_ptr.fill_(20)  # the next enqueue wraps: lightly keeps the first 4 rows and resets the pointer
    z1, z2 = projector(f1), projector(f2)
    p1, p2 = predictor(z1), predictor(z2)
    nn1 = memory(z1.detach(), update=False)
    nn2 = memory(z2.detach(), update=True)
    tau = 0.1

    def info_nce(a, b):  # NNCLR eq. 2: positives on the diagonal, negatives the other samples of view b
        a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
        return F.cross_entropy(a @ b.t() / tau, torch.arange(BATCH))

    loss = 0.5 * (info_nce(nn1, p2) + info_nce(nn2, p1))
    loss.backward()
    values = {**named(projector, "projector"), **named(predictor, "predictor")}
    grads = {**named(projector, "projector", grads=True), **named(predictor, "predictor", grads=True)}
    fixture("nnclr", {"projector": {"hidden": [32, 32], "out": 12}, "predictor": {"hidden": [20]},
                      "temperature": tau, "queueSize": bank_size},
            [f1, f2], {"values": values, "grads": grads}, loss,
            extra={"queue": {"before": encode(bank), "pointerBefore": 20, "after": encode(memory.bank),
                             "pointerAfter": int(memory.bank_ptr)}})


# --------------------------------------------------------------------------- pos-embed, masking
def pos_embed_fixture(gen):
    posemb = torch.randn(1, 1 + 4 * 4, 8, generator=gen)
    cases = []
    for grid in (2, 3, 6):
        for antialias in (True, False):
            out = resample_abs_pos_embed(posemb, [grid, grid], num_prefix_tokens=1, antialias=antialias)
            cases.append({"grid": grid, "antialias": antialias, "out": encode(out)})
    payload = {"grid": 4, "posEmbed": encode(posemb), "cases": cases}
    with open(os.path.join(ROOT, "zoo", "pos-embed.json"), "w") as fh:
        json.dump(payload, fh, indent=1)
        fh.write("\n")


def masking_fixture():
    cases = []
    for batch, patches, ratio in ((3, 16, 0.75), (2, 9, 0.5), (2, 49, 0.6)):
        torch.manual_seed(7)
        keep, masked = random_token_mask((batch, patches + 1), mask_ratio=ratio)
        torch.manual_seed(7)
        noise = torch.rand(batch, patches + 1)
        # drop the class token (lightly: index 0, always kept) to get patch indices
        cases.append({"batch": batch, "patches": patches, "ratio": ratio,
                      "noise": encode(noise[:, 1:]), "keep": (keep[:, 1:] - 1).tolist(), "masked": (masked - 1).tolist()})
    with open(os.path.join(ROOT, "zoo", "masking.json"), "w") as fh:
        json.dump({"cases": cases}, fh, indent=1)
        fh.write("\n")


# --------------------------------------------------------------------------- mae
class MaeDecoder(nn.Module):
    """facebookresearch/mae models_mae.py: the decoder half of MaskedAutoencoderViT, same names."""

    def __init__(self, encoder_width, width, depth, heads, mlp_ratio, grid, pixels):
        super().__init__()
        self.decoder_embed = nn.Linear(encoder_width, width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))
        pos = get_2d_sine_cosine_positional_embedding(width, grid, cls_token=True)
        self.register_buffer("decoder_pos_embed", torch.from_numpy(pos).float().unsqueeze(0))
        self.decoder_blocks = nn.ModuleList([Block(width, heads, mlp_ratio, qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6)) for _ in range(depth)])
        self.decoder_norm = nn.LayerNorm(width, eps=1e-6)
        self.decoder_pred = nn.Linear(width, pixels)

    def forward(self, x, ids_restore):
        x = self.decoder_embed(x)
        mask_tokens = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)
        x_ = torch.gather(x_, dim=1, index=ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1)
        x = x + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        x = self.decoder_norm(x)
        return self.decoder_pred(x)[:, 1:, :]


def mae_fixture(gen):
    batch, side, patch, channels, width = 3, 12, 4, 3, 16
    grid = side // patch
    patches = grid * grid
    decoder = MaeDecoder(width, 8, 1, 2, 2.0, grid, patch * patch * channels)
    with torch.no_grad():
        for name, p in decoder.named_parameters():
            if "norm" in name.split(".")[-2] if "." in name else False:
                p.copy_((1 if name.endswith("weight") else 0) + 0.2 * torch.randn(p.shape, generator=gen))
            elif name == "mask_token":
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            elif name.endswith("weight"):
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
    torch.manual_seed(11)
    keep, _ = random_token_mask((batch, patches + 1), mask_ratio=0.5)
    kept_patches = keep[:, 1:] - 1  # lightly keeps the class token at index 0
    kept = kept_patches.shape[1]
    # MAE's ids_restore: position j reads its rank among the kept patches, else a mask token
    ids_restore = torch.full((batch, patches), kept, dtype=torch.long)
    for b in range(batch):
        ids_restore[b, kept_patches[b]] = torch.arange(kept)
    latent = torch.randn(batch, 1 + kept, width, generator=gen).requires_grad_(True)
    images = torch.randn(batch, side, side, channels, generator=gen)  # NHWC, as slipkit's views
    pred = decoder(latent, ids_restore)
    # models_mae.py forward_loss, norm_pix_loss=True; the target patches by lightly's patchify (NCHW in)
    target = patchify(images.permute(0, 3, 1, 2), patch)
    mean = target.mean(dim=-1, keepdim=True)
    var = target.var(dim=-1, keepdim=True)
    target = (target - mean) / (var + 1.0e-6) ** 0.5
    mask = torch.ones(batch, patches)
    mask.scatter_(1, kept_patches, 0)
    loss = (((pred - target) ** 2).mean(dim=-1) * mask).sum() / mask.sum()
    loss.backward()
    write("mae", {
        "options": {"inputDim": width, "patchSize": patch, "channels": channels, "normPixLoss": True,
                    "decoder": {"width": 8, "depth": 1, "heads": 2, "mlpRatio": 2}},
        "inputs": {"tokens": encode(latent), "images": encode(images), "keptPatches": kept_patches.tolist()},
        "params": {n: encode(p) for n, p in decoder.named_parameters()},
        "expected": {"loss": float(loss.detach()), "tokensGrad": encode(latent.grad),
                     "paramGrads": {n: encode(p.grad) for n, p in decoder.named_parameters()}},
    })


def main():
    gen = torch.Generator().manual_seed(20261205)
    torch.manual_seed(0)
    os.makedirs(os.path.join(ROOT, "zoo"), exist_ok=True)
    dcl_fixture(gen, "dcl", DCLLoss(temperature=0.1), {"temperature": 0.1})
    dcl_fixture(gen, "dclw", DCLWLoss(temperature=0.1, sigma=0.5), {"temperature": 0.1, "sigma": 0.5})
    dino_fixture(gen)
    swav_fixture(gen, with_queue=False)
    swav_fixture(gen, with_queue=True)
    nnclr_fixture(gen)
    pos_embed_fixture(gen)
    masking_fixture()
    mae_fixture(gen)


if __name__ == "__main__":
    main()
