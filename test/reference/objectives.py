"""Reference values for slipkit's objectives: loss, metrics and gradients computed by
PyTorch (float32, like tfjs) with each method's loss written out after its official code:

  clip          SLIP losses.py CLIPLoss (world size 1)
  simclr        SLIP losses.py SIMCLRLoss + models.py image_mlp
  mocov3        facebookresearch/moco-v3 moco/builder.py (MoCo, MoCo_ViT)
  byol          Grill et al. 2020, Algorithm 1 / the official loss_fn
  simsiam       facebookresearch/simsiam simsiam/builder.py + main_simsiam.py
  barlow-twins  facebookresearch/barlowtwins main.py
  vicreg        facebookresearch/vicreg main_vicreg.py

Every fixture has fixed inputs (pooled features of the two views, momentum-encoder
features, joint-space embeddings), fixed head parameters (random, not an initialiser's, so
BatchNorm's gamma/beta matter) and, for momentum methods, different target parameters.
Gradients are taken with respect to the inputs and to every trainable parameter.

Run: .venv/bin/python test/reference/objectives.py   (writes test/fixtures/objectives/*.json)
"""
import base64
import json
import math
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "objectives")
BATCH = 8
FEATURE_DIM = 16
EMBED_DIM = 16
HIDDEN = [32, 24]  # two different widths, so a transposed weight cannot go unnoticed
OUT_DIM = 16
PREDICTOR_HIDDEN = [20]


def encode(t):
    """A float32 tensor as {shape, f32: little-endian base64}."""
    a = t.detach().to(torch.float32).contiguous().numpy()
    return {"shape": list(a.shape), "f32": base64.b64encode(a.astype("<f4").tobytes()).decode("ascii")}


def mlp(in_dim, hidden, out_dim, hidden_bias=True, out_bias=True, out_norm=None):
    """[Linear-BN-ReLU] x len(hidden) -> Linear (-> BN), named layer1, bn1, relu1, ... as SLIP's image_mlp."""
    widths = [in_dim, *hidden, out_dim]
    layers = OrderedDict()
    for i in range(len(widths) - 1):
        n = i + 1
        last = i == len(widths) - 2
        layers[f"layer{n}"] = nn.Linear(widths[i], widths[i + 1], bias=out_bias if last else hidden_bias)
        if not last:
            layers[f"bn{n}"] = nn.BatchNorm1d(widths[i + 1])
            layers[f"relu{n}"] = nn.ReLU()
        elif out_norm == "affine":
            layers[f"bn{n}"] = nn.BatchNorm1d(widths[i + 1])
        elif out_norm == "plain":
            layers[f"bn{n}"] = nn.BatchNorm1d(widths[i + 1], affine=False)
    return nn.Sequential(layers)


def randomize(module, gen):
    """Random parameters: weights ~ N(0, 1/fan_in), biases ~ N(0, 0.1), BN gamma ~ 1 + N(0, 0.2), beta ~ N(0, 0.2)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if ".bn" in "." + name:
                if name.endswith("weight"):
                    p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
                else:
                    p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("weight"):
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
    module.train()  # BatchNorm uses batch statistics, as slipkit's heads always do
    return module


def params_of(module):
    return {name: encode(p) for name, p in module.named_parameters()}


def grads_of(module):
    return {name: encode(p.grad) for name, p in module.named_parameters()}


def leaf(gen, *shape):
    return torch.randn(*shape, generator=gen).requires_grad_(True)


def inputs(gen, momentum=False):
    """Two correlated views (as two crops of one image are), and momentum features close to them."""
    base = torch.randn(BATCH, FEATURE_DIM, generator=gen)
    views = [0.8 * base + 0.6 * torch.randn(BATCH, FEATURE_DIM, generator=gen) for _ in range(2)]
    m = [v + 0.3 * torch.randn(BATCH, FEATURE_DIM, generator=gen) for v in views] if momentum else None
    return [v.requires_grad_(True) for v in views], m


def write(name, payload):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, f"{name}.json"), "w") as fh:
        json.dump(payload, fh, indent=1)
        fh.write("\n")


def scalars(d):
    return {k: float(v.detach()) for k, v in d.items()}


# --------------------------------------------------------------------------- clip
def clip_fixture(gen):
    image = leaf(gen, BATCH, EMBED_DIM)
    text = leaf(gen, BATCH, EMBED_DIM)
    # make two pairs clearly matched so that clip_acc is neither 0 nor 100
    with torch.no_grad():
        text[0] += 3 * image[0]
        text[3] += 3 * image[3]
    logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
    # SLIP CLIPLoss.forward
    image_embed = F.normalize(image, dim=-1, p=2)
    text_embed = F.normalize(text, dim=-1, p=2)
    labels = torch.arange(BATCH)
    logits_per_image = logit_scale.exp() * image_embed @ text_embed.t()
    logits_per_text = logit_scale.exp() * text_embed @ image_embed.t()
    loss = (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2
    loss.backward()
    pred = torch.argmax(logits_per_image, dim=-1)
    acc = 100 * pred.eq(labels).sum() / BATCH
    # SLIP main.py after optimizer.step(): logit_scale.data.clamp_(0, 4.6052)
    clamp = {"high": {"before": 5.3, "after": float(torch.tensor(5.3).clamp(0, math.log(100)))},
             "low": {"before": -0.7, "after": float(torch.tensor(-0.7).clamp(0, math.log(100)))}}
    write("clip", {
        "options": {},
        "inputs": {"imageEmbedding": [encode(image)], "textEmbedding": encode(text)},
        "params": {"logit_scale": encode(logit_scale)},
        "expected": {
            "loss": float(loss.detach()),
            "metrics": scalars({"clip_acc": acc, "logit_scale": logit_scale.exp()}),
            "inputGrads": {"imageEmbedding.0": encode(image.grad), "textEmbedding": encode(text.grad)},
            "paramGrads": grads_of(nn.ParameterDict({"logit_scale": logit_scale})),
        },
        "clamp": clamp,
    })


# --------------------------------------------------------------------------- simclr
class SlipSimclr(nn.Module):
    def __init__(self, tau):
        super().__init__()
        self.image_mlp = mlp(FEATURE_DIM, HIDDEN, OUT_DIM)
        self.tau = tau

    def forward(self, h1, h2):
        q_a = F.normalize(self.image_mlp(h1), dim=-1, p=2)
        q_b = F.normalize(self.image_mlp(h2), dim=-1, p=2)
        k_a, k_b = q_a, q_b  # all_gather_batch_with_grad at world size 1
        local_batch_size = q_a.size(0)
        labels = torch.arange(local_batch_size)
        masks = F.one_hot(labels, local_batch_size) * 1e9
        logits_aa = torch.matmul(q_a, k_a.transpose(0, 1)) / self.tau - masks
        logits_bb = torch.matmul(q_b, k_b.transpose(0, 1)) / self.tau - masks
        logits_ab = torch.matmul(q_a, k_b.transpose(0, 1)) / self.tau
        logits_ba = torch.matmul(q_b, k_a.transpose(0, 1)) / self.tau
        loss_a = F.cross_entropy(torch.cat([logits_ab, logits_aa], dim=1), labels)
        loss_b = F.cross_entropy(torch.cat([logits_ba, logits_bb], dim=1), labels)
        loss = (loss_a + loss_b) / 2
        with torch.no_grad():
            pred = torch.argmax(torch.cat([logits_ab, logits_aa], dim=1), dim=-1)
            acc = 100 * pred.eq(labels).sum() / local_batch_size
        return loss, {"ssl_acc": acc}


# --------------------------------------------------------------------------- mocov3
class MocoV3(nn.Module):
    """moco/builder.py with the momentum encoder's backbone replaced by given features."""

    def __init__(self, T):
        super().__init__()
        self.T = T
        # MoCo_ViT._build_projector_and_predictor_mlps: _build_mlp(3, ..., last_bn=True), _build_mlp(2, ..., last_bn=False)
        self.projector = mlp(FEATURE_DIM, HIDDEN, OUT_DIM, hidden_bias=False, out_bias=False, out_norm="plain")
        self.predictor = mlp(OUT_DIM, PREDICTOR_HIDDEN, OUT_DIM, hidden_bias=False, out_bias=False)
        self.target_projector = mlp(FEATURE_DIM, HIDDEN, OUT_DIM, hidden_bias=False, out_bias=False, out_norm="plain")
        for p in self.target_projector.parameters():
            p.requires_grad = False

    def contrastive_loss(self, q, k):
        q = F.normalize(q, dim=1)
        k = F.normalize(k, dim=1)
        logits = torch.einsum("nc,mc->nm", [q, k]) / self.T
        N = logits.shape[0]
        labels = torch.arange(N, dtype=torch.long)
        acc = 100 * logits.argmax(dim=1).eq(labels).float().mean()
        return F.cross_entropy(logits, labels) * (2 * self.T), acc

    def forward(self, f1, f2, m1, m2):
        q1 = self.predictor(self.projector(f1))
        q2 = self.predictor(self.projector(f2))
        with torch.no_grad():
            k1 = self.target_projector(m1)
            k2 = self.target_projector(m2)
        l12, a12 = self.contrastive_loss(q1, k2)
        l21, a21 = self.contrastive_loss(q2, k1)
        return l12 + l21, {"ssl_acc": (a12 + a21) / 2}


# --------------------------------------------------------------------------- byol
def normalized_std(z):
    return F.normalize(z, dim=1).std(dim=0).mean()


class Byol(nn.Module):
    def __init__(self):
        super().__init__()
        self.projector = mlp(FEATURE_DIM, HIDDEN[:1], OUT_DIM)
        self.predictor = mlp(OUT_DIM, PREDICTOR_HIDDEN, OUT_DIM)
        self.target_projector = mlp(FEATURE_DIM, HIDDEN[:1], OUT_DIM)
        for p in self.target_projector.parameters():
            p.requires_grad = False

    @staticmethod
    def loss_fn(x, y):
        x = F.normalize(x, dim=-1, p=2)
        y = F.normalize(y, dim=-1, p=2)
        return 2 - 2 * (x * y).sum(dim=-1)

    def forward(self, f1, f2, m1, m2):
        z1 = self.projector(f1)
        p1 = self.predictor(z1)
        p2 = self.predictor(self.projector(f2))
        with torch.no_grad():
            t1 = self.target_projector(m1)
            t2 = self.target_projector(m2)
        loss = self.loss_fn(p1, t2).mean() + self.loss_fn(p2, t1).mean()
        return loss, {"output_std": normalized_std(z1.detach())}


# --------------------------------------------------------------------------- simsiam
class SimSiam(nn.Module):
    def __init__(self):
        super().__init__()
        # builder.py: fc = Linear(no bias)-BN-ReLU-Linear(no bias)-BN-ReLU-fc-BN(affine=False), fc's bias frozen
        self.projector = mlp(FEATURE_DIM, HIDDEN, OUT_DIM, hidden_bias=False, out_bias=False, out_norm="plain")
        self.predictor = mlp(OUT_DIM, PREDICTOR_HIDDEN, OUT_DIM, hidden_bias=False, out_bias=True)
        self.criterion = nn.CosineSimilarity(dim=1)

    def forward(self, f1, f2):
        z1 = self.projector(f1)
        z2 = self.projector(f2)
        p1 = self.predictor(z1)
        p2 = self.predictor(z2)
        z1, z2 = z1.detach(), z2.detach()
        loss = -(self.criterion(p1, z2).mean() + self.criterion(p2, z1).mean()) * 0.5
        return loss, {"output_std": normalized_std(z1)}


# --------------------------------------------------------------------------- barlow twins
def off_diagonal(x):
    n, m = x.shape
    assert n == m
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


class BarlowTwins(nn.Module):
    def __init__(self, lambd):
        super().__init__()
        self.lambd = lambd
        self.projector = mlp(FEATURE_DIM, HIDDEN, OUT_DIM, hidden_bias=False, out_bias=False)
        self.bn = nn.BatchNorm1d(OUT_DIM, affine=False)

    def forward(self, f1, f2):
        z1 = self.projector(f1)
        z2 = self.projector(f2)
        c = self.bn(z1).T @ self.bn(z2)
        c = c / BATCH
        on_diag = torch.diagonal(c).add(-1).pow(2).sum()
        off_diag = off_diagonal(c).pow(2).sum()
        loss = on_diag + self.lambd * off_diag
        return loss, {"on_diag": on_diag, "off_diag": off_diag}


# --------------------------------------------------------------------------- vicreg
class VICReg(nn.Module):
    def __init__(self, sim_coeff, std_coeff, cov_coeff):
        super().__init__()
        self.sim_coeff, self.std_coeff, self.cov_coeff = sim_coeff, std_coeff, cov_coeff
        self.num_features = OUT_DIM
        # main_vicreg.py Projector: Linear(bias)-BN-ReLU per hidden layer, last Linear(bias=False)
        self.projector = mlp(FEATURE_DIM, HIDDEN, OUT_DIM, hidden_bias=True, out_bias=False)

    def forward(self, f1, f2):
        x = self.projector(f1)
        y = self.projector(f2)
        repr_loss = F.mse_loss(x, y)
        x = x - x.mean(dim=0)
        y = y - y.mean(dim=0)
        std_x = torch.sqrt(x.var(dim=0) + 0.0001)
        std_y = torch.sqrt(y.var(dim=0) + 0.0001)
        std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
        cov_x = (x.T @ x) / (BATCH - 1)
        cov_y = (y.T @ y) / (BATCH - 1)
        cov_loss = off_diagonal(cov_x).pow(2).sum().div(self.num_features) + off_diagonal(cov_y).pow(2).sum().div(self.num_features)
        loss = self.sim_coeff * repr_loss + self.std_coeff * std_loss + self.cov_coeff * cov_loss
        return loss, {"invariance": repr_loss, "variance": std_loss, "covariance": cov_loss}


# --------------------------------------------------------------------------- driver
def trainable(module):
    return nn.ModuleDict({n: m for n, m in module.named_children() if n != "target_projector" and any(True for _ in m.parameters())})


def two_view_fixture(name, gen, model, options, momentum=False):
    randomize(model, gen)
    (f1, f2), m = inputs(gen, momentum)
    loss, metrics = model(f1, f2, *m) if momentum else model(f1, f2)
    loss.backward()
    online = trainable(model)
    payload = {
        "options": {"inputDim": FEATURE_DIM, **options},
        "inputs": {"features": [encode(f1), encode(f2)]},
        "params": params_of(online),
        "expected": {
            "loss": float(loss.detach()),
            "metrics": scalars(metrics),
            "inputGrads": {"features.0": encode(f1.grad), "features.1": encode(f2.grad)},
            "paramGrads": grads_of(online),
        },
    }
    if momentum:
        payload["inputs"]["momentumFeatures"] = [encode(m[0]), encode(m[1])]
        payload["targetParams"] = {f"projector.{k}": v for k, v in params_of(model.target_projector).items()}
    write(name, payload)


def main():
    gen = torch.Generator().manual_seed(20240601)
    torch.manual_seed(0)
    head = {"hidden": HIDDEN, "out": OUT_DIM}
    clip_fixture(gen)
    two_view_fixture("simclr", gen, SlipSimclr(0.1), {"temperature": 0.1, "head": head})
    two_view_fixture(
        "mocov3", gen, MocoV3(0.2),
        {"temperature": 0.2, "projector": head, "predictor": {"hidden": PREDICTOR_HIDDEN}}, momentum=True,
    )
    two_view_fixture(
        "byol", gen, Byol(),
        {"projector": {"hidden": HIDDEN[:1], "out": OUT_DIM}, "predictor": {"hidden": PREDICTOR_HIDDEN}}, momentum=True,
    )
    two_view_fixture("simsiam", gen, SimSiam(), {"projector": head, "predictor": {"hidden": PREDICTOR_HIDDEN}})
    two_view_fixture("barlow-twins", gen, BarlowTwins(0.0051), {"lambda": 0.0051, "projector": head})
    two_view_fixture(
        "vicreg", gen, VICReg(25.0, 25.0, 1.0),
        {"invarianceCoeff": 25, "varianceCoeff": 25, "covarianceCoeff": 1, "projector": head},
    )


if __name__ == "__main__":
    main()
