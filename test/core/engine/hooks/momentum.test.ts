import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import type { ImageEncoder } from '../../../../core/contracts/encoders';
import type { Objective } from '../../../../core/contracts/objective';
import { MomentumUpdate } from '../../../../core/engine/hooks/momentum';
import type { ObjectiveSlot } from '../../../../core/engine/step-inputs';
import { assertFlatTensorCount } from '../../../helpers/memory';
import { fakeRun } from './fake-run';

const named = (v: tf.Variable) => ({ name: v.name, variable: v, decay: false });

describe('hooks: momentum (EMA) update', () => {
  let made: tf.Variable[] = [];
  const variable = (x: number) => {
    const v = tf.variable(tf.tensor1d([x]));
    made.push(v);
    return v;
  };
  afterEach(() => {
    made.forEach((v) => v.dispose());
    made = [];
  });

  /** Two objectives: one with an EMA encoder and a target head on momentum 0.9 → 1, one without momentum. */
  function setup() {
    const online = variable(2);
    const emaEncoder = variable(0);
    const head = variable(1);
    const target = variable(3);
    const calls: string[] = [];
    const withMomentum = {
      views: [],
      usesText: false,
      momentum: { start: 0.9, end: 1 },
      momentumPairs: () => [{ online: head, target }],
      variables: () => [named(head)],
      compute: () => assert.fail('not called'),
      afterStep: () => calls.push('byol'),
    } as unknown as Objective;
    const plain = { views: [], usesText: false, variables: () => [], compute: () => assert.fail('not called'), afterStep: () => calls.push('clip') } as unknown as Objective;
    const slots: ObjectiveSlot[] = [
      { objective: withMomentum, weight: 1, label: 'byol', instances: [], ema: { variables: () => [named(emaEncoder)] } as unknown as ImageEncoder },
      { objective: plain, weight: 1, label: 'clip', instances: [] },
    ];
    const hook = new MomentumUpdate(slots, { variables: () => [named(online)] });
    return { hook, online, emaEncoder, head, target, calls };
  }

  it('moves every target toward its online weights on the cosine schedule of the step just taken', () => {
    const { hook, emaEncoder, target, calls } = setup();
    const ctx = fakeRun(5);
    const first = { index: 0, metrics: {} };
    hook.afterUpdate(ctx, first);
    // step 0 of 5: m = start = 0.9
    assert.ok(Math.abs(emaEncoder.dataSync()[0] - (0.9 * 0 + 0.1 * 2)) < 1e-6);
    assert.ok(Math.abs(target.dataSync()[0] - (0.9 * 3 + 0.1 * 1)) < 1e-6);
    assert.deepEqual(first.metrics, { 'byol/momentum': 0.9 });
    assert.deepEqual(calls, ['byol', 'clip']);

    const second = { index: 1, metrics: {} as Record<string, number> };
    hook.afterUpdate(ctx, second);
    const m = 1 - 0.1 * 0.5 * (1 + Math.cos(Math.PI / 4)); // step 1 of 5: a quarter of the way
    assert.ok(Math.abs(second.metrics['byol/momentum'] - m) < 1e-12);
    assert.ok(Math.abs(emaEncoder.dataSync()[0] - (m * 0.2 + (1 - m) * 2)) < 1e-6);
  });

  it('leaves no tensors behind', async () => {
    const { hook } = setup();
    const ctx = fakeRun(20);
    await assertFlatTensorCount(5, (i) => hook.afterUpdate(ctx, { index: i, metrics: {} }));
  });
});
