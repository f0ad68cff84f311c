import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import nnclr from '../../../plugins/objectives/nnclr';
import { nearestNeighbours } from '../../../plugins/objectives/losses/nearest-neighbour';
import { decodeArray, type EncodedArray } from '../../nn/torch-fixture';
import { assertClose, buildObjective, checkAgainstReference, disposeObjective, fixedInputs, randomInputs, readObjectiveFixture, stateVariable, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32, 32], out: 12 }, predictor: { hidden: [20] }, queueSize: 24 };
const f = readObjectiveFixture('nnclr') as unknown as { queue: { before: EncodedArray; pointerBefore: number; after: EncodedArray; pointerAfter: number } };

describeOnBackends('objective nnclr', () => {
  it("matches the NNCLR loss on lightly's NNMemoryBankModule neighbours and heads: loss, gradients, and the queue after its wrap-around write", () => {
    checkAgainstReference(nnclr, 'nnclr', {
      before: (o) => {
        const rows = tf.tensor2d(decodeArray(f.queue.before), f.queue.before.shape as [number, number]);
        stateVariable(o, 'queue').assign(rows);
        stateVariable(o, 'queue_pointer').assign(tf.scalar(f.queue.pointerBefore));
        rows.dispose();
      },
      after: (o) => {
        assertClose(stateVariable(o, 'queue').dataSync(), decodeArray(f.queue.after), 'queue after the step', 1);
        assert.equal(stateVariable(o, 'queue_pointer').dataSync()[0], f.queue.pointerAfter);
      },
    });
  });

  it('picks the most cosine-similar support row as stored, not normalised', () => {
    tf.tidy(() => {
      const support = tf.tensor2d([[10, 0], [0, 0.1], [-1, -1]]);
      const nn = nearestNeighbours(tf.tensor2d([[0.2, 3], [5, 1], [-2, -1.9]]), support);
      assert.deepEqual(Array.from(nn.dataSync()), [0, 0.1, 10, 0, -1, -1].map(Math.fround));
    });
  });

  it('starts with a seeded support set of unit vectors, the same for the same seed', () => {
    const [a, b] = [buildObjective(nnclr, small), buildObjective(nnclr, small)];
    const rows = stateVariable(a, 'queue');
    assert.deepEqual(rows.shape, [24, 12]);
    tf.tidy(() => tf.norm(rows, 2, 1).dataSync()).forEach((n) => assert.ok(Math.abs(n - 1) < 1e-5));
    assert.deepEqual(Array.from(rows.dataSync()), Array.from(stateVariable(b, 'queue').dataSync()));
    disposeObjective(a);
    disposeObjective(b);
  });

  it('continues from restored state as from its own: the queue and its pointer are all it keeps', () => {
    const [a, b] = [buildObjective(nnclr, small), buildObjective(nnclr, small)];
    const inputs = randomInputs(['features.0', 'features.1'], 8, 16);
    const step = (o: typeof a) => tf.tidy(() => o.compute(fixedInputs(inputs)).loss.dataSync()[0]);
    step(a);
    step(a);
    step(a); // the pointer stands at 24 % 24 = 0 after a wrap
    step(a);
    // what a checkpoint restores: every state variable (the weights are equal already: same seed)
    a.state!().forEach((v, i) => b.state!()[i].variable.assign(v.variable));
    assert.equal(step(b), step(a));
    assert.deepEqual(Array.from(stateVariable(b, 'queue').dataSync()), Array.from(stateVariable(a, 'queue').dataSync()));
    assert.equal(stateVariable(b, 'queue_pointer').dataSync()[0], 16);
    inputs.forEach((t) => t.dispose());
    disposeObjective(a);
    disposeObjective(b);
  });

  it('rejects a zero queue size with its spec path', () => {
    assert.throws(() => buildObjective(nnclr, { ...small, queueSize: 0 }), /objectives\[0\]\.queueSize: must be an integer >= 1/);
  });

  it('keeps the tensor count flat over 20 steps while the queue wraps around', async () => {
    const losses = await trainOnRandomInputs(nnclr, small, ['features.0', 'features.1']);
    assert.ok(losses.every(Number.isFinite));
  });
});
