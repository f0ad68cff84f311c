"""PyTorch's GEMM (MKL in the CPU wheels) at given shapes, for bench/matmul.ts --step: the
same products scripts/gemm-probe.js times on TensorFlow and the BLAS candidates.

Reads a JSON list of {"m", "n", "k", "transposeA", "transposeB"} on stdin; prints one JSON
line {"torch": version, "threads": n, "ms": [median ms per shape]}. Transposed operands are
transposed views (PyTorch hands them to the BLAS as transpose flags, without copying).

Usage: echo '[{"m": 64, "n": 64, "k": 64, "transposeA": false, "transposeB": true}]' | python bench/matmul_torch.py --reps 5
"""
import argparse
import json
import statistics
import sys
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    shapes = json.load(sys.stdin)
    g = torch.Generator().manual_seed(0)
    out = []
    for s in shapes:
        a = torch.rand((s["k"], s["m"]) if s["transposeA"] else (s["m"], s["k"]), generator=g) * 2 - 1
        b = torch.rand((s["n"], s["k"]) if s["transposeB"] else (s["k"], s["n"]), generator=g) * 2 - 1
        a = a.t() if s["transposeA"] else a
        b = b.t() if s["transposeB"] else b
        a @ b  # warm-up
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            a @ b
            times.append((time.perf_counter() - t0) * 1000)
        out.append(statistics.median(times))
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "ms": out}))


if __name__ == "__main__":
    main()
