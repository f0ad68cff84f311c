/**
 * Plain-number reference computations for the end-to-end evaluator tests: written
 * without tensors, so that they check the evaluators' tensor code and plumbing.
 */

/** Rank of `trueIndex` when `scores` are sorted descending, ties to the lower index. */
export function rankOf(scores: readonly number[], trueIndex: number): number {
  let rank = 0;
  scores.forEach((s, j) => {
    if (s > scores[trueIndex] || (s === scores[trueIndex] && j < trueIndex)) rank++;
  });
  return rank;
}

export function topK(ranks: readonly number[], k: number): number {
  return ranks.filter((r) => r < k).length / ranks.length;
}

export function meanPerClassTopK(ranks: readonly number[], labels: readonly number[], k: number): number {
  const classes = [...new Set(labels)];
  const perClass = classes.map((c) => {
    const mine = ranks.filter((_, i) => labels[i] === c);
    return topK(mine, k);
  });
  return perClass.reduce((a, b) => a + b, 0) / perClass.length;
}

export function pixelVector(pixels: Uint8Array): number[] {
  return Array.from(pixels, (p) => p / 255);
}

export function unit(v: readonly number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / Math.max(norm, 1e-12));
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function negSquaredDistances(x: readonly number[], centroids: readonly number[][]): number[] {
  return centroids.map((c) => -c.reduce((s, cj, j) => s + (x[j] - cj) ** 2, 0));
}
