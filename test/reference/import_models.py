"""Fixtures for importing open_clip and timm checkpoints into slipkit (test/plugins/.../import tests).

Builds small random-weight models with the real libraries (open_clip_torch, timm), saves
their state dicts as safetensors exactly as the libraries name them, and records their
outputs for fixed inputs:

- open-clip-tiny.safetensors: one open_clip CLIP (ViT image tower + text tower, the real
  49408-token vocabulary), stored in float16 to keep the file small (the model's weights are
  rounded to float16 first, so the outputs below are those of the stored weights).
  open-clip-tiny.json: for each of several open_clip configurations that share this state
  dict (GELU / QuickGELU, class-token / average pooling, final LN before / after pooling):
  image embeddings, text embeddings of fixed captions, and zero-shot logits of a few classes
  (CLIP's prompt ensemble: mean of normalised prompt embeddings, renormalised; times
  exp(logit_scale)). The token ids open_clip's tokenizer gives are recorded too.
- timm-<name>.safetensors + timm.json: small timm VisionTransformers (plain; CLIP-style with
  pre-norm and no patch bias; average pooling with fc_norm) and their pooled features.
- vit-b-32-layout.json: names and shapes of open_clip's ViT-B-32 state dict and timm's
  vit_base_patch32_clip_224 at full width (no weights: too large to commit).

Images are given to the models already normalised; arrays are {shape, f32} with f32
little-endian float32 in base64 (NHWC for images, as slipkit takes them).

Run: .venv-ref/bin/python test/reference/import_models.py
"""
import base64
import json
import os

import numpy as np
import open_clip
import timm
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "import")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)


def enc(t):
    a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4")
    return {"shape": list(a.shape), "f32": base64.b64encode(a.tobytes()).decode()}


def perturb(model, generator):
    """Random weights larger than a fresh initialisation (LayerNorm γ/β and biases too), so every part matters."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("logit_scale"):
                continue
            p.copy_(p + 0.05 * torch.randn(p.shape, generator=generator))


IMAGE_SIZE, PATCH = 32, 8
gen = torch.Generator().manual_seed(1234)
images = torch.randn(3, 3, IMAGE_SIZE, IMAGE_SIZE, generator=gen)  # NCHW, already normalised
images_nhwc = images.permute(0, 2, 3, 1)

# --- open_clip --------------------------------------------------------------------------
VISION = dict(image_size=IMAGE_SIZE, patch_size=PATCH, width=32, layers=2, head_width=16, mlp_ratio=4.0)
TEXT = dict(context_length=77, vocab_size=49408, width=8, heads=2, layers=2)
EMBED = 16
CONFIGS = {
    "gelu-token": dict(quick_gelu=False, vision={}),
    "quickgelu-token": dict(quick_gelu=True, vision={}),
    "gelu-avg": dict(quick_gelu=False, vision=dict(pool_type="avg")),
    "gelu-avg-ln-after-pool": dict(quick_gelu=False, vision=dict(pool_type="avg", final_ln_after_pool=True)),
}
CAPTIONS = ["a photo of a cat.", "A DOG running on the beach!", "diagram: 3 red squares & a blue circle"]
CLASSES = ["cat", "dog", "car", "tree"]
TEMPLATES = ["a photo of a {}.", "a blurry photo of the {}."]


def build_clip(cfg):
    return open_clip.model.CLIP(
        EMBED,
        open_clip.model.CLIPVisionCfg(**VISION, **cfg["vision"]),
        open_clip.model.CLIPTextCfg(**TEXT),
        quick_gelu=cfg["quick_gelu"],
    ).eval()


base = build_clip(CONFIGS["gelu-token"])
perturb(base, torch.Generator().manual_seed(7))
with torch.no_grad():
    base.logit_scale.fill_(float(np.log(20.0)))
    for p in base.parameters():
        p.copy_(p.half().float())  # the stored float16 values are the model's weights
state = {k: v for k, v in base.state_dict().items()}
save_file({k: v.half().contiguous() for k, v in state.items()}, os.path.join(OUT, "open-clip-tiny.safetensors"), metadata={"format": "pt"})

tokenize = open_clip.get_tokenizer("ViT-B-32")
caption_ids = tokenize(CAPTIONS)
prompts = [t.format(c) for c in CLASSES for t in TEMPLATES]
prompt_ids = tokenize(prompts)

outputs = {}
for name, cfg in CONFIGS.items():
    model = build_clip(cfg)
    missing, unexpected = model.load_state_dict(state, strict=True)
    with torch.no_grad():
        img = model.encode_image(images)
        txt = model.encode_text(caption_ids)
        per_prompt = model.encode_text(prompt_ids)
        per_prompt = per_prompt / per_prompt.norm(dim=-1, keepdim=True)
        cls = per_prompt.reshape(len(CLASSES), len(TEMPLATES), -1).mean(1)
        cls = cls / cls.norm(dim=-1, keepdim=True)
        img_n = img / img.norm(dim=-1, keepdim=True)
        logits = model.logit_scale.exp() * img_n @ cls.T
    outputs[name] = {
        "quickGelu": cfg["quick_gelu"],
        "vision": {**VISION, **cfg["vision"]},
        "imageEmbeddings": enc(img),
        "textEmbeddings": enc(txt),
        "zeroShotLogits": enc(logits),
    }

with open(os.path.join(OUT, "open-clip-tiny.json"), "w") as f:
    json.dump(
        {
            "library": f"open_clip_torch {open_clip.__version__}, torch {torch.__version__}",
            "embedDim": EMBED,
            "text": TEXT,
            "images": enc(images_nhwc),
            "captions": CAPTIONS,
            "captionIds": caption_ids.tolist(),
            "classes": CLASSES,
            "templates": TEMPLATES,
            "logitScale": float(base.logit_scale.detach().exp()),
            "configs": outputs,
        },
        f,
    )

# --- timm -------------------------------------------------------------------------------
TIMM = {
    "plain": dict(),
    "clip-style": dict(pre_norm=True, norm_layer=torch.nn.LayerNorm),  # timm's vit_*_clip_*: norm_pre, no patch bias, eps 1e-5
    "avg-fc-norm": dict(global_pool="avg", class_token=True),
}
timm_out = {"library": f"timm {timm.__version__}, torch {torch.__version__}", "images": enc(images_nhwc), "models": {}}
for name, extra in TIMM.items():
    model = timm.models.vision_transformer.VisionTransformer(
        img_size=IMAGE_SIZE, patch_size=PATCH, embed_dim=32, depth=2, num_heads=2, num_classes=0, **extra
    ).eval()
    perturb(model, torch.Generator().manual_seed(11))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(OUT, f"timm-{name}.safetensors"), metadata={"format": "pt"})
    with torch.no_grad():
        pooled = model(images)
    timm_out["models"][name] = {
        "kwargs": {k: (v if not callable(v) else "nn.LayerNorm") for k, v in extra.items()},
        "pooled": enc(pooled),
    }
with open(os.path.join(OUT, "timm.json"), "w") as f:
    json.dump(timm_out, f)

# --- full-width layouts (names and shapes only) -----------------------------------------
b32 = open_clip.create_model("ViT-B-32", pretrained=None)
timm_b32 = timm.create_model("vit_base_patch32_clip_224", pretrained=False, num_classes=0)
with open(os.path.join(OUT, "vit-b-32-layout.json"), "w") as f:
    json.dump(
        {
            "library": f"open_clip_torch {open_clip.__version__}, timm {timm.__version__}",
            "open_clip ViT-B-32": {k: list(v.shape) for k, v in b32.state_dict().items()},
            "timm vit_base_patch32_clip_224": {k: list(v.shape) for k, v in timm_b32.state_dict().items()},
        },
        f,
        indent=0,
    )
print("wrote", sorted(os.listdir(OUT)))
