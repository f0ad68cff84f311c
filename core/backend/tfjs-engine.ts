import * as tf from '@tensorflow/tfjs';

/**
 * Runs `fn` while holding on to what tfjs prints with console.warn. tfjs reports a backend that
 * fails to initialise only that way ("Initialization of backend X failed" plus the error), and
 * we want that text in the probe's reason and the logger, not on the user's terminal.
 */
export async function captureTfWarnings<T>(fn: () => T | Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  try {
    return { value: await fn(), warnings };
  } finally {
    console.warn = original;
  }
}

/** The first line of tfjs's initialisation warnings that says why, or a fallback. */
export function failureText(warnings: string[], fallback: string): string {
  const lines = warnings.flatMap((w) => w.split('\n')).map((l) => l.trim()).filter(Boolean);
  const why = lines.find((l) => !/^Initialization of backend .* failed$/.test(l));
  return why ?? fallback;
}

/**
 * Selects `previous` again after a probe. tf.setBackend records the new name before it
 * initialises, so a failed initialisation would otherwise leave a backend without an instance
 * selected. With no previous selection, the pure-JS cpu backend is selected: it always works.
 */
export async function reselect(previous: string | undefined): Promise<void> {
  const target = previous ?? 'cpu';
  if (tf.getBackend() !== target || tf.findBackend(target) === null) await tf.setBackend(target);
  if (target === 'cpu') quietCpuBackend();
}

/** 2x2 matmul with a known answer: proves the backend computes, not only that it initialised. */
export async function checkComputes(): Promise<void> {
  const product = tf.tidy(() => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    return tf.matMul(a, a);
  });
  const got = Array.from(await product.data());
  product.dispose();
  const want = [7, 10, 15, 22];
  if (got.some((v, i) => v !== want[i])) throw new Error(`a 2x2 matmul gave [${got.join(', ')}] instead of [${want.join(', ')}]`);
}

/**
 * Makes `name` the selected tfjs backend and checks it computes. On failure the previous
 * backend is selected again and the error says why.
 */
export async function activateTfBackend(name: string): Promise<void> {
  const previous = tf.getBackend();
  if (tf.findBackendFactory(name) === null) throw new Error(`no tfjs backend named '${name}' is registered`);
  const { value: ok, warnings } = await captureTfWarnings(() => tf.setBackend(name));
  try {
    if (!ok) throw new Error(failureText(warnings, `tf.setBackend('${name}') returned false`));
    await tf.ready();
    await checkComputes();
  } catch (err) {
    await reselect(previous);
    throw err;
  }
  if (name === 'cpu') quietCpuBackend();
}

/**
 * The pure-JS cpu backend prints a "looks like you are running TensorFlow.js in Node.js ...
 * install our node backend" banner on its first tensor. slipkit chose cpu knowingly (and says
 * how to get the native backend in its own log), so the banner is switched off on the backend
 * instance; the alternative, tfjs's PROD flag, would also silence its other warnings.
 */
export function quietCpuBackend(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}
