#!/usr/bin/env bash
# SLURM and munge for the launcher tests, which start a one-node cluster of their own
# (munged, slurmctld, slurmd; see test/helpers/slurm-cluster.ts). srun --mpi=pmix needs OpenMPI's PMIx.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
apt_install slurm-wlm munge
