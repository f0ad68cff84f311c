#!/usr/bin/env bash
# gperftools' tcmalloc (Debian's libtcmalloc-minimal4): bench/slip-step.ts runs the PyTorch twin
# with it preloaded as well, as PyTorch's CPU performance guides advise, so that the benchmark
# compares against the strongest twin a skilled user would run.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
apt_install libtcmalloc-minimal4
