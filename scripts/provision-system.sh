#!/usr/bin/env bash
# Installs the system packages that the real-component tests use, one script per component in
# scripts/provision/ (files starting with '_' are helpers). Idempotent: a fast no-op when all
# are installed. Run by `npm test`'s pretest; under CI=true any failure fails the run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for f in "$ROOT"/scripts/provision/*.sh; do
  case "$(basename "$f")" in _*) continue;; esac
  bash "$f"
done
