import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import dino from '../../../plugins/objectives/dino';
import { teacherTemperatureAt } from '../../../plugins/objectives/losses/dino';
import { decodeArray, type EncodedArray } from '../../nn/torch-fixture';
import { assertClose, buildObjective, checkAgainstReference, checkMomentumWiring, disposeObjective, fixedInputs, randomInputs, readObjectiveFixture, stateVariable, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, outDim: 20, head: { hidden: [32], bottleneck: 12 }, views: ['g', 'g', 'l', 'l'] };
const centerFixture = readObjectiveFixture('dino') as unknown as { center: { before: EncodedArray; after: EncodedArray } };

describeOnBackends('objective dino', () => {
  it("matches lightly's DINOLoss + DINOProjectionHead on 2 global and 2 local crops at a warmup step: loss, gradients, updated center", () => {
    checkAgainstReference(dino, 'dino', {
      before: (o) => stateVariable(o, 'center').assign(tf.tensor1d(decodeArray(centerFixture.center.before))),
      after: (o) => {
        const after = decodeArray(centerFixture.center.after);
        assertClose(stateVariable(o, 'center').dataSync(), after, 'center after the update', Math.max(...after.map(Math.abs)));
      },
    });
  });

  it('warms the teacher temperature up linearly over warmupSteps, as np.linspace, then holds it', () => {
    const t = { start: 0.04, end: 0.07, warmupSteps: 4 };
    assert.deepEqual([0, 1, 2, 3, 4, 100].map((s) => +teacherTemperatureAt(s, t).toFixed(6)), [0.04, 0.05, 0.06, 0.07, 0.07, 0.07]);
    assert.equal(teacherTemperatureAt(0, { ...t, warmupSteps: 0 }), 0.07);
  });

  it('feeds the teacher the global views only and pairs the teacher head with the head by EMA', () => {
    const o = buildObjective(dino, { ...small, globalViews: 2 });
    assert.equal(o.momentumViewCount, 2);
    assert.deepEqual(o.momentum, { start: 0.996, end: 1 });
    checkMomentumWiring(o);
    disposeObjective(o);
  });

  it('drops the last layer’s gradient while it is frozen, and only then', () => {
    const o = buildObjective(dino, { ...small, freezeLastLayerSteps: 5 });
    const inputs = randomInputs(['features.0', 'features.1', 'features.2', 'features.3', 'momentumFeatures.0', 'momentumFeatures.1'], 8, 16);
    const last = o.variables().find((v) => v.name === 'head.last_layer.weight')!.variable;
    const gradAt = (step: number) => {
      const { value, grads } = tf.variableGrads(() => o.compute(fixedInputs(inputs, step, 10)).loss, [last]);
      const norm = grads[last.name] ? tf.tidy(() => tf.norm(grads[last.name]).dataSync()[0]) : 0;
      tf.dispose([value, ...Object.values(grads)]);
      return norm;
    };
    assert.equal(gradAt(4), 0);
    assert.ok(gradAt(5) > 0);
    inputs.forEach((t) => t.dispose());
    disposeObjective(o);
  });

  it('rejects more global views than views, and a center momentum above 1, with their spec paths', () => {
    assert.throws(() => buildObjective(dino, { ...small, globalViews: 5 }), /objectives\[0\]\.globalViews: must be at most the number of views, 4/);
    assert.throws(() => buildObjective(dino, { ...small, centerMomentum: 1.5 }), /objectives\[0\]\.centerMomentum: must be in \[0, 1\]/);
  });

  it('keeps the tensor count flat over 20 steps with EMA and center updates', async () => {
    const losses = await trainOnRandomInputs(dino, small, ['features.0', 'features.1', 'features.2', 'features.3', 'momentumFeatures.0', 'momentumFeatures.1']);
    assert.ok(losses.every(Number.isFinite));
  });
});
