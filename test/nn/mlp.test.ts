import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { Mlp } from '../../core/nn/mlp';
import { ParamSeeds } from '../../core/nn/param-seeds';

const seeds = new ParamSeeds(0, 'test');

describe('Mlp (projector / predictor heads)', () => {
  it('lays out Linear-BN-ReLU blocks and the output norm as configured, with PyTorch-style names', () => {
    const mlp = Mlp.create('projector', { inputDim: 4, hidden: [6, 5], outputDim: 3, hiddenBias: false, outputBias: false, outputNorm: 'batch-norm-no-affine' }, seeds);
    assert.deepEqual(
      mlp.variables().map((v) => [v.name, v.variable.shape, v.decay, v.transposeForTorch ?? false]),
      [
        ['projector.layer1.weight', [4, 6], true, true],
        ['projector.bn1.weight', [6], false, false],
        ['projector.bn1.bias', [6], false, false],
        ['projector.layer2.weight', [6, 5], true, true],
        ['projector.bn2.weight', [5], false, false],
        ['projector.bn2.bias', [5], false, false],
        ['projector.layer3.weight', [5, 3], true, true],
      ],
    );
    const withAffineOut = Mlp.create('p', { inputDim: 4, hidden: [], outputDim: 3, outputNorm: 'batch-norm' }, seeds);
    assert.deepEqual(withAffineOut.variables().map((v) => v.name), ['p.layer1.weight', 'p.layer1.bias', 'p.bn1.weight', 'p.bn1.bias']);
    mlp.dispose();
    withAffineOut.dispose();
  });

  it("draws weights and biases from PyTorch's nn.Linear range U(±1/√in)", () => {
    const mlp = Mlp.create('h', { inputDim: 25, hidden: [], outputDim: 40 }, seeds);
    for (const v of mlp.variables()) {
      const max = Math.max(...Array.from(v.variable.dataSync(), Math.abs));
      assert.ok(max <= 1 / 5 && max > 0.9 / 5, `${v.name}: max |value| ${max}`);
    }
    mlp.dispose();
  });

  it('ends a BatchNorm without γ/β with zero-mean, unit-variance columns (biased variance)', () => {
    const mlp = Mlp.create('h', { inputDim: 3, hidden: [], outputDim: 2, outputNorm: 'batch-norm-no-affine' }, seeds);
    tf.tidy(() => {
      const y = mlp.apply(tf.tensor2d([[1, 2, 3], [0, -1, 2], [4, 0, 1], [2, 2, -2]]));
      const { mean, variance } = tf.moments(y, 0);
      assert.ok(Math.max(...Array.from(mean.abs().dataSync())) < 1e-6);
      Array.from(variance.dataSync()).forEach((v) => assert.ok(Math.abs(v - 1) < 1e-4, `variance ${v}`));
    });
    mlp.dispose();
  });

  it('makes a frozen copy: same values and output, non-trainable, separate storage', () => {
    const mlp = Mlp.create('h', { inputDim: 3, hidden: [4], outputDim: 2 }, seeds);
    const copy = mlp.frozenCopy();
    const [a, b] = [mlp.variables(), copy.variables()];
    assert.deepEqual(b.map((v) => v.name), a.map((v) => v.name));
    a.forEach((v, i) => {
      assert.equal(b[i].variable.trainable, false);
      assert.deepEqual(Array.from(b[i].variable.dataSync()), Array.from(v.variable.dataSync()));
    });
    tf.tidy(() => {
      const x = tf.tensor2d([[1, 2, 3], [0, -1, 2], [4, 0, 1]]);
      assert.deepEqual(Array.from(copy.apply(x).dataSync()), Array.from(mlp.apply(x).dataSync()));
      a[0].variable.assign(tf.zerosLike(a[0].variable));
    });
    assert.notDeepEqual(Array.from(b[0].variable.dataSync()), Array.from(a[0].variable.dataSync()));
    mlp.dispose();
    copy.dispose();
  });
});
