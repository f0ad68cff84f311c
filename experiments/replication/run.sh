#!/usr/bin/env bash
# The small replication: CLIP, SimCLR and SLIP with the same budget (model, steps, batch, data)
# on Fashion-MNIST, each evaluated by zero-shot (where there is a text tower), linear probe and kNN.
# Prints a Markdown table of the results. Usage: bash experiments/replication/run.sh [--set ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run --silent build
out=runs/replication
mkdir -p "$out"
for arm in clip simclr slip; do
  rm -rf "$out/$arm"
  node bin/slipkit.js run "experiments/replication/$arm.json" --run-dir "$out/$arm" "$@" | tee "$out/$arm.txt"
done
node -e '
const fs = require("fs");
const read = (arm) => Object.fromEntries(fs.readFileSync(`runs/replication/${arm}.txt`, "utf8").split("\n")
  .map((l) => l.match(/^(\S+\/\S+) ([\d.]+)$/)).filter(Boolean).map((m) => [m[1], Number(m[2])]));
const cell = (m, k) => (k in m ? (100 * m[k]).toFixed(1) : "–");
console.log("| objective | zero-shot top-1 | linear probe top-1 | kNN top-1 |");
console.log("|---|---|---|---|");
for (const arm of ["clip", "simclr", "slip"]) {
  const m = read(arm);
  console.log(`| ${arm.toUpperCase()} | ${cell(m, "zero-shot/top1")} | ${cell(m, "linear-probe/top1")} | ${cell(m, "knn/top1")} |`);
}'
