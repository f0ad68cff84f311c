import * as tf from '@tensorflow/tfjs';

/** Throughput of square float32 matmuls on the selected backend. */
export interface MatmulRate {
  backend: string;
  /** Side of the square matrices. */
  size: number;
  /** Timed repetitions (after one untimed warm-up). */
  reps: number;
  seconds: number;
  /** 2·size³·reps / seconds / 1e9. */
  gflops: number;
}

/**
 * Multiplies two random size×size float32 matrices repeatedly on the selected backend until
 * `budgetMs` has passed (at least `minReps` times), reading an entry of each product back so
 * that lazy or asynchronous backends are timed to completion. One warm-up run (kernel
 * compilation, memory pools) is not timed. Tensor count is unchanged afterwards.
 */
export async function measureMatmulRate(size: number, budgetMs = 1000, minReps = 2): Promise<MatmulRate> {
  const [a, b] = tf.tidy(() => [tf.randomUniform([size, size], -1, 1, 'float32', 1), tf.randomUniform([size, size], -1, 1, 'float32', 2)]);
  // Waits for each product by reading one entry of it: reading it all would add a copy of the
  // whole result into JavaScript (4 MiB at 1024²) to every product's time, which the PyTorch
  // twin's rate does not include.
  const once = async (): Promise<void> => {
    const product = tf.matMul(a, b);
    const corner = tf.slice(product, [0, 0], [1, 1]);
    await corner.data();
    tf.dispose([product, corner]);
  };
  try {
    await once();
    let reps = 0;
    const start = process.hrtime.bigint();
    let elapsedMs = 0;
    while (reps < minReps || elapsedMs < budgetMs) {
      await once();
      reps++;
      elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    }
    const seconds = elapsedMs / 1000;
    return { backend: tf.getBackend(), size, reps, seconds, gflops: (2 * size ** 3 * reps) / seconds / 1e9 };
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** GFLOP/s to three significant figures at most, never rounded down to 0 (a slow backend on a tiny matrix). */
export function formatGflops(gflops: number): string {
  return gflops >= 100 ? gflops.toFixed(0) : gflops.toPrecision(3);
}
