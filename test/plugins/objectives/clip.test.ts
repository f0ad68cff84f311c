import { describeOnBackends } from '../../helpers/backends';
import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { SpecError } from '../../../core/errors';
import clip, { ClipObjective } from '../../../plugins/objectives/clip';
import { decodeArray } from '../../nn/torch-fixture';
import {
  assertClose,
  assertLossDecreased,
  buildObjective,
  checkAgainstReference,
  disposeObjective,
  fixedInputs,
  inputVariables,
  readObjectiveFixture,
  trainOnRandomInputs,
} from './support/harness';

interface ClampCase {
  before: number;
  after: number;
}

describeOnBackends('objective clip', () => {
  it("matches SLIP's CLIPLoss in PyTorch: loss, clip_acc, logit_scale and gradients (embeddings, logit scale)", () => {
    checkAgainstReference(clip);
  });

  it('starts the logit scale at ln(1/0.07), named logit_scale, without weight decay', () => {
    const o = buildObjective(clip, {});
    const [v] = o.variables();
    assert.equal(o.variables().length, 1);
    assert.equal(v.name, 'logit_scale');
    assert.equal(v.decay, false);
    assert.deepEqual(v.variable.shape, []);
    const expected = decodeArray(readObjectiveFixture('clip').params.logit_scale);
    assertClose(v.variable.dataSync(), expected, 'initial logit_scale', 0);
    assert.deepEqual(o.views, ['clip']);
    assert.equal(o.usesText, true);
    disposeObjective(o);
  });

  it("clamps the logit scale to [0, ln(100)] after a step, as SLIP's clamp_(0, 4.6052)", () => {
    const fixture = readObjectiveFixture('clip') as ReturnType<typeof readObjectiveFixture> & { clamp: Record<'high' | 'low', ClampCase> };
    const o = buildObjective(clip, {}) as ClipObjective;
    for (const c of [fixture.clamp.high, fixture.clamp.low]) {
      o.logitScale!.assign(tf.scalar(c.before));
      o.afterStep();
      assertClose(o.logitScale!.dataSync(), [c.after], `clamp(${c.before})`, 0);
    }
    o.logitScale!.assign(tf.scalar(1.5));
    o.afterStep();
    assert.equal(o.logitScale!.dataSync()[0], Math.fround(1.5), 'a value inside the range is left alone');
    disposeObjective(o);
  });

  it('with learnable: false has no variables and gives the same loss at the fixed scale', () => {
    const f = readObjectiveFixture('clip');
    const o = buildObjective(clip, { learnable: false });
    assert.deepEqual(o.variables(), []);
    const inputs = inputVariables(f);
    const out = o.compute(fixedInputs(inputs));
    assertClose(out.loss.dataSync(), [f.expected.loss], 'loss', Math.abs(f.expected.loss));
    assertClose(out.metrics.logit_scale.dataSync(), [1 / 0.07], 'logit_scale metric', 1 / 0.07);
    tf.dispose([out.loss, ...Object.values(out.metrics), ...inputs.values()]);
    o.afterStep?.();
  });

  it('rejects options that would break the loss, naming the option', () => {
    assert.throws(
      () => buildObjective(clip, { initTemperature: 0 }),
      (e: unknown) => e instanceof SpecError && e.message === 'invalid spec: objectives[0].initTemperature: must be > 0 (got 0)',
    );
    assert.throws(() => buildObjective(clip, { initTemperature: 0.05, maxLogitScale: 10 }), /objectives\[0\]\.initTemperature: 1\/initTemperature \(20\) exceeds maxLogitScale \(10\)/);
    assert.throws(() => buildObjective(clip, { maxLogitScale: 0.5 }), /objectives\[0\]\.maxLogitScale: must be >= 1/);
    assert.throws(() => buildObjective(clip, { views: ['clip', 'clip'] }), /objectives\[0\]\.views: must list exactly 1 view name/);
  });

  it('keeps the tensor count flat over 20 training steps', async () => {
    assertLossDecreased(await trainOnRandomInputs(clip, {}, ['imageEmbedding.0', 'textEmbedding'], 0.5));
  });
});
