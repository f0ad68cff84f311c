"""Reference values for slipkit's batched colour and blur operations (core/data/image-ops.ts),
computed with PyTorch by torchvision's tensor implementations, written out here after
torchvision/transforms/_functional_tensor.py (BSD-3-Clause), since torchvision itself is
not installed:

  rgb_to_grayscale   0.2989 R + 0.587 G + 0.114 B
  adjust_brightness  _blend(img, zeros, f)
  adjust_contrast    _blend(img, mean(grayscale(img)), f)
  adjust_saturation  _blend(img, grayscale(img), f)
  adjust_hue         _rgb2hsv -> h = (h + f) % 1 -> _hsv2rgb
  gaussian_blur      separable gaussian kernel, reflect padding
  solarize           where(img >= threshold, 1 - img, img)

Inputs are random images in [0, 1] plus pixels that hit the HSV edge cases (grey, black,
white, pure and tied primaries). Every image gets its own factor, as slipkit draws them.

Run: .venv/bin/python test/reference/augmentations.py   (writes test/fixtures/augmentations/color-ops.json)
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "augmentations", "color-ops.json")


def rgb_to_grayscale(img):
    r, g, b = img.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(dim=-3)


def _blend(img1, img2, ratio):
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, 1.0)


def adjust_brightness(img, f):
    return _blend(img, torch.zeros_like(img), f)


def adjust_contrast(img, f):
    mean = torch.mean(rgb_to_grayscale(img), dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, f)


def adjust_saturation(img, f):
    return _blend(img, rgb_to_grayscale(img), f)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = hr + hg + hb
    h = torch.fmod((h / 6.0 + 1.0), 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = torch.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = torch.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = torch.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6, device=i.device).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, f):
    hsv = _rgb2hsv(img)
    h, s, v = hsv.unbind(dim=-3)
    h = (h + f) % 1.0
    return _hsv2rgb(torch.stack((h, s, v), dim=-3))


def gaussian_kernel1d(kernel_size, sigma):
    ksize_half = (kernel_size - 1) * 0.5
    x = torch.linspace(-ksize_half, ksize_half, steps=kernel_size)
    pdf = torch.exp(-0.5 * (x / sigma).pow(2))
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma):
    k1 = gaussian_kernel1d(kernel_size, sigma)
    kernel = torch.mm(k1[:, None], k1[None, :]).expand(img.shape[-3], 1, kernel_size, kernel_size)
    pad = kernel_size // 2
    padded = F.pad(img.unsqueeze(0), [pad, pad, pad, pad], mode="reflect")
    return F.conv2d(padded, kernel, groups=img.shape[-3]).squeeze(0)


def solarize(img, threshold):
    return torch.where(img >= threshold, 1.0 - img, img)


def per_image(fn, images, factors):
    return torch.stack([fn(img, f) for img, f in zip(images, factors)])


def nhwc(t):
    """[n, c, h, w] -> nested lists in NHWC, as slipkit's tensors are laid out."""
    return t.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32).tolist()


def main():
    rng = np.random.default_rng(20240601)
    n, h, w = 4, 6, 7
    images = rng.random((n, 3, h, w), dtype=np.float32)
    # HSV edge cases on the first image's top row: grey, black, white, pure red/green/blue,
    # red=green tie (max on two channels), green=blue tie.
    edge = [[0.5, 0.5, 0.5], [0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0.8, 0.8, 0.2]]
    for x, rgb in enumerate(edge):
        images[0, :, 0, x] = rgb
    images[1, :, 0, 0] = [0.2, 0.7, 0.7]
    t = torch.from_numpy(images)
    factors = {
        "brightness": [0.6, 1.0, 1.4, 0.95],
        "contrast": [0.6, 1.3, 1.0, 0.75],
        "saturation": [0.0, 0.6, 1.4, 1.1],
        "hue": [-0.1, 0.05, 0.0, 0.5],
    }
    blur_sigmas = [0.3, 0.8, 1.5, 2.0]
    blur_kernel = 5
    hsv = _rgb2hsv(t)
    out = {
        "source": "test/reference/augmentations.py (torchvision _functional_tensor formulas in PyTorch)",
        "images": nhwc(t),
        "factors": factors,
        "grayscale": nhwc(rgb_to_grayscale(t)),
        "brightness": nhwc(per_image(adjust_brightness, t, factors["brightness"])),
        "contrast": nhwc(per_image(adjust_contrast, t, factors["contrast"])),
        "saturation": nhwc(per_image(adjust_saturation, t, factors["saturation"])),
        "hue": nhwc(per_image(adjust_hue, t, factors["hue"])),
        "hsv": nhwc(hsv),
        "hsvRoundTrip": nhwc(_hsv2rgb(hsv)),
        "blur": {
            "kernelSize": blur_kernel,
            "sigmas": blur_sigmas,
            "output": nhwc(per_image(lambda img, s: gaussian_blur(img, blur_kernel, s), t, blur_sigmas)),
        },
        "solarize": {"threshold": 0.5, "output": nhwc(solarize(t, 0.5))},
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(out, fh)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
