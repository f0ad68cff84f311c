import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import swav from '../../../plugins/objectives/swav';
import { sinkhorn } from '../../../plugins/objectives/losses/swav';
import { decodeArray, type EncodedArray } from '../../nn/torch-fixture';
import { assertClose, buildObjective, checkAgainstReference, disposeObjective, fixedInputs, randomInputs, readObjectiveFixture, stateVariable, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, projector: { hidden: [32], out: 12 }, prototypes: 10, views: ['g', 'g', 'l'], freezePrototypesSteps: 0 };
const VIEW_KEYS = ['features.0', 'features.1', 'features.2'];
const queueFixture = readObjectiveFixture('swav-queue') as unknown as { queue: { before: EncodedArray; after: EncodedArray } };
const queueTensor = (a: EncodedArray) => tf.tensor3d(decodeArray(a), a.shape as [number, number, number]);

describeOnBackends('objective swav', () => {
  it("matches lightly's SwaVLoss and sinkhorn on 2 high- and 2 low-resolution crops: loss and gradients", () => {
    checkAgainstReference(swav);
  });

  it('matches it with a full queue in the Sinkhorn input, and enqueues the global embeddings newest first', () => {
    checkAgainstReference(swav, 'swav-queue', {
      before: (o) => {
        const q = queueTensor(queueFixture.queue.before);
        stateVariable(o, 'queue').assign(q);
        q.dispose();
      },
      after: (o) => {
        const after = decodeArray(queueFixture.queue.after);
        assertClose(stateVariable(o, 'queue').dataSync(), after, 'queue after the step', 1);
      },
    });
  });

  it('sinkhorn gives every sample a distribution and every prototype an equal share', () => {
    tf.tidy(() => {
      const scores = tf.randomUniform([6, 4], -1, 1, 'float32', 2) as tf.Tensor2D;
      const q = sinkhorn(scores, { iterations: 50, epsilon: 0.05 });
      tf.sum(q, 1).dataSync().forEach((x) => assert.ok(Math.abs(x - 1) < 1e-4, `row sum ${x}`));
      tf.sum(q, 0).dataSync().forEach((x) => assert.ok(Math.abs(x - 6 / 4) < 1e-2, `column sum ${x}`));
    });
  });

  it('freezes the prototypes for the first steps and keeps their rows unit-norm after a step', () => {
    const o = buildObjective(swav, { ...small, freezePrototypesSteps: 3 });
    const inputs = randomInputs(VIEW_KEYS, 8, 16);
    const protos = o.variables().find((v) => v.name === 'prototypes.weight')!.variable;
    const gradNorm = (step: number) => {
      const { value, grads } = tf.variableGrads(() => o.compute(fixedInputs(inputs, step, 10)).loss, [protos]);
      const n = grads[protos.name] ? tf.tidy(() => tf.norm(grads[protos.name]).dataSync()[0]) : 0;
      tf.dispose([value, ...Object.values(grads)]);
      return n;
    };
    assert.equal(gradNorm(2), 0);
    assert.ok(gradNorm(3) > 0);
    tf.tidy(() => protos.assign(tf.mul(protos, 3)));
    o.afterStep!();
    tf.tidy(() => tf.norm(protos, 2, 0).dataSync()).forEach((n) => assert.ok(Math.abs(n - 1) < 1e-5));
    inputs.forEach((t) => t.dispose());
    disposeObjective(o);
  });

  it('does not use an unfilled queue, and does once it is full', () => {
    const o = buildObjective(swav, { ...small, queueSize: 16 });
    const inputs = randomInputs(VIEW_KEYS, 8, 16);
    const other = randomInputs(VIEW_KEYS, 8, 16, 50);
    const lossAt = (batch = inputs) => tf.tidy(() => o.compute(fixedInputs(batch, 5, 10)).loss.dataSync()[0]);
    const noQueue = buildObjective(swav, small);
    stateVariable(o, 'queue'); // declared
    o.variables().forEach((v, i) => noQueue.variables()[i].variable.assign(v.variable));
    const reference = tf.tidy(() => noQueue.compute(fixedInputs(inputs, 5, 10)).loss.dataSync()[0]);
    assert.equal(lossAt(), reference, 'an empty queue is not used');
    lossAt(other); // a second, different batch fills the 16 rows
    assert.notEqual(lossAt(), reference, 'a full queue changes the codes');
    [...inputs.values(), ...other.values()].forEach((t) => t.dispose());
    disposeObjective(o);
    disposeObjective(noQueue);
  });

  it('leaves the queue empty before queueStartStep and fills it from then on', () => {
    const o = buildObjective(swav, { ...small, queueSize: 16, queueStartStep: 3 });
    const inputs = randomInputs(VIEW_KEYS, 8, 16);
    const filled = () => tf.tidy(() => tf.any(tf.notEqual(stateVariable(o, 'queue'), 0)).dataSync()[0] === 1);
    tf.tidy(() => o.compute(fixedInputs(inputs, 2, 10)).loss.dataSync());
    assert.equal(filled(), false);
    tf.tidy(() => o.compute(fixedInputs(inputs, 3, 10)).loss.dataSync());
    assert.equal(filled(), true);
    inputs.forEach((t) => t.dispose());
    disposeObjective(o);
  });

  it('rejects a zero ε and zero prototypes with their spec paths', () => {
    assert.throws(() => buildObjective(swav, { ...small, sinkhorn: { epsilon: 0 } }), /objectives\[0\]\.sinkhorn\.epsilon: must be > 0/);
    assert.throws(() => buildObjective(swav, { ...small, prototypes: 0 }), /objectives\[0\]\.prototypes: must be an integer >= 1/);
  });

  it('keeps the tensor count flat over 20 steps with a queue', async () => {
    const losses = await trainOnRandomInputs(swav, { ...small, queueSize: 16 }, VIEW_KEYS);
    assert.ok(losses.every(Number.isFinite));
  });
});
