/**
 * Forward + backward time of the `vit` and `text-transformer` encoders on one backend, with
 * the same models in PyTorch (CPU) run in the same invocation for comparison when
 * .venv/bin/python exists.
 *
 *   npm run build && node dist/bench/encoders.js [--backend auto] [--batch 64] [--reps 5]
 *       [--image-size 64] [--patch-size 8] [--vit-width 192] [--vit-depth 6] [--vit-heads 3]
 *       [--text-width 256] [--text-depth 4] [--text-heads 4] [--context 32]
 *
 * Defaults are the SLIP step slipkit targets (ViT 64 px / patch 8 / 192 wide / 6 deep / 3 heads,
 * text 256 wide / 4 deep / context 32, CLIP's 49408-token vocabulary, batch 64). The loss is
 * sum(features²). "kept" is what stays allocated for the backward pass at the end of the
 * forward pass (tfjs: engine bytes; PyTorch: distinct storages saved by autograd), the
 * comparable figure; "peak" is tfjs's engine peak over a whole step (tf.profile).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { selectBackend, type BackendRequest } from '../core/backend';
import { Logger } from '../core/logger';
import { ParamSeeds } from '../core/nn/param-seeds';
import { Rng } from '../core/random';
import { VisionTransformer } from '../plugins/image-encoders/vit';
import { TextTransformer } from '../plugins/text-encoders/text-transformer';

interface BenchConfig {
  backend: BackendRequest;
  batch: number;
  reps: number;
  vit: { imageSize: number; patchSize: number; width: number; depth: number; heads: number };
  text: { width: number; depth: number; heads: number; contextLength: number; vocabSize: number };
}

interface Measurement {
  ms: number;
  keptBytes: number;
  /** tfjs only: the engine's peak bytes over one step, above what was allocated before it. */
  peakBytes?: number;
}

function parseArgs(argv: string[]): BenchConfig {
  const value = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
    return v;
  };
  const b = argv.indexOf('--backend');
  return {
    backend: (b >= 0 ? argv[b + 1] : 'auto') as BackendRequest,
    batch: value('batch', 64),
    reps: value('reps', 5),
    vit: {
      imageSize: value('image-size', 64),
      patchSize: value('patch-size', 8),
      width: value('vit-width', 192),
      depth: value('vit-depth', 6),
      heads: value('vit-heads', 3),
    },
    text: {
      width: value('text-width', 256),
      depth: value('text-depth', 4),
      heads: value('text-heads', 4),
      contextLength: value('context', 32),
      vocabSize: 49408,
    },
  };
}

/** Median ms of forward + backward over `reps` (after one warm-up), the bytes kept for backward and the peak. */
async function measure(vars: tf.Variable[], forward: () => tf.Tensor2D, reps: number): Promise<Measurement> {
  let keptBytes = 0;
  const step = (): void => {
    const before = tf.memory().numBytes;
    const { value, grads } = tf.variableGrads(() => {
      const loss = tf.tidy(() => tf.sum(tf.square(forward())));
      keptBytes = tf.memory().numBytes - before;
      return loss as tf.Scalar;
    }, vars);
    value.dataSync();
    tf.dispose([value, grads]);
  };
  step();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    step();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const before = tf.memory().numBytes;
  const profile = await tf.profile(step);
  return { ms: times[Math.floor(times.length / 2)], keptBytes, peakBytes: profile.peakBytes - before };
}

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function runTorch(config: BenchConfig): { vit: Measurement; text: Measurement; threads: number; torch: string } | undefined {
  const python = path.join('.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return undefined;
  const args = JSON.stringify({ batch: config.batch, reps: config.reps, vit: config.vit, text: config.text });
  const res = spawnSync(python, [path.join('bench', 'encoders_torch.py'), args], { encoding: 'utf8' });
  if (res.status !== 0) {
    process.stderr.write(`PyTorch bench failed: ${res.stderr}\n`);
    return undefined;
  }
  return JSON.parse(res.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const config = parseArgs(process.argv.slice(2));
  const selection = await selectBackend(config.backend, new Logger('warn'));
  const out = process.stdout;
  const rng = new Rng(0);
  const { batch } = config;

  const vit = new VisionTransformer({ ...config.vit, channels: 3, mlpRatio: 4 }, new ParamSeeds(0, 'bench.image'));
  const images = randomTensor([batch, config.vit.imageSize, config.vit.imageSize, 3], rng) as tf.Tensor4D;
  const vitResult = await measure(vit.variables().map((v) => v.variable), () => vit.forward(images).pooled, config.reps);

  const text = new TextTransformer({ ...config.text, mlpRatio: 4 }, new ParamSeeds(0, 'bench.text'));
  const T = config.text.contextLength;
  const ids = tf.tensor2d(Int32Array.from({ length: batch * T }, () => rng.int(config.text.vocabSize)), [batch, T], 'int32');
  const eot = tf.tensor1d(Int32Array.from({ length: batch }, () => 1 + rng.int(T - 1)), 'int32');
  const textResult = await measure(text.variables().map((v) => v.variable), () => text.forward(ids, eot), config.reps);

  const torch = runTorch(config);
  const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  const v = config.vit;
  const t = config.text;
  out.write(`backend ${selection.name}; batch ${batch}; median of ${config.reps}\n`);
  out.write(`vit  ${v.imageSize}px/p${v.patchSize} w${v.width} d${v.depth} h${v.heads};  text w${t.width} d${t.depth} h${t.heads} ctx${t.contextLength} vocab ${t.vocabSize}\n`);
  if (torch) out.write(`PyTorch ${torch.torch}, ${torch.threads} threads\n`);
  out.write(`${'encoder'.padEnd(8)}${'fwd+bwd ms'.padStart(12)}${'img|txt/s'.padStart(11)}${'kept MB'.padStart(9)}${'peak MB'.padStart(9)}`);
  out.write(torch ? `${'torch ms'.padStart(10)}${'torch MB'.padStart(10)}${'time ×'.padStart(8)}${'mem ×'.padStart(7)}\n` : '\n');
  const row = (name: string, m: Measurement, ref?: Measurement): void => {
    out.write(`${name.padEnd(8)}${m.ms.toFixed(1).padStart(12)}${((batch / m.ms) * 1000).toFixed(0).padStart(11)}${mb(m.keptBytes).padStart(9)}`);
    out.write(mb(m.peakBytes ?? 0).padStart(9));
    if (ref) {
      out.write(`${ref.ms.toFixed(1).padStart(10)}${mb(ref.keptBytes).padStart(10)}`);
      out.write(`${(m.ms / ref.ms).toFixed(2).padStart(8)}${(m.keptBytes / ref.keptBytes).toFixed(2).padStart(7)}`);
    }
    out.write('\n');
  };
  row('vit', vitResult, torch?.vit);
  row('text', textResult, torch?.text);
  tf.dispose([images, ids, eot]);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
