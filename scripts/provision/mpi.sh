#!/usr/bin/env bash
# OpenMPI for data-parallel runs and their tests: mpirun (openmpi-bin) and mpicc with the
# headers the N-API binding is compiled against (libopenmpi-dev; built by scripts/setup-mpi.js).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
apt_install openmpi-bin libopenmpi-dev
