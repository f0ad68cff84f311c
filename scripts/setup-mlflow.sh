#!/usr/bin/env bash
# Creates .venv-mlflow (a virtualenv with the `mlflow` server) that the tracking tests start a
# real MLflow tracking server from. Idempotent: a fast no-op when the venv already works.
# Usage: bash scripts/setup-mlflow.sh        (from anywhere; paths are relative to the repo root)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-mlflow"
PYTHON="${PYTHON:-python3}"
# Pinned below the next major so a server API change cannot land silently in CI.
MLFLOW_SPEC="${MLFLOW_SPEC:-mlflow>=3,<4}"

if [ -x "$VENV/bin/mlflow" ] && "$VENV/bin/python" -c 'import mlflow.server' >/dev/null 2>&1; then
  echo "setup-mlflow: $VENV already has $("$VENV/bin/python" -c 'import mlflow; print("mlflow", mlflow.__version__)')"
  exit 0
fi

echo "setup-mlflow: creating $VENV and installing $MLFLOW_SPEC (takes a few minutes)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
# Keep the venv out of git status for everyone (the repo's .gitignore need not know about it).
echo '*' > "$VENV/.gitignore"
# pip's notes about index locations missing on this machine are noise; real errors still show.
quiet_pip() { "$VENV/bin/python" -m pip install --quiet "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }; }
quiet_pip --upgrade pip
quiet_pip "$MLFLOW_SPEC"
"$VENV/bin/python" -c 'import mlflow.server, mlflow; print("setup-mlflow: installed mlflow", mlflow.__version__)'
