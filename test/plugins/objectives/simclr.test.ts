import { describeOnBackends } from '../../helpers/backends';
import { strict as assert } from 'node:assert';
import { SpecError } from '../../../core/errors';
import simclr from '../../../plugins/objectives/simclr';
import { assertLossDecreased, buildObjective, checkAgainstReference, disposeObjective, trainOnRandomInputs } from './support/harness';

const small = { inputDim: 16, head: { hidden: [32, 24], out: 16 } };

describeOnBackends('objective simclr', () => {
  it("matches SLIP's SIMCLRLoss in PyTorch: loss, ssl_acc and gradients for both views and the head", () => {
    checkAgainstReference(simclr);
  });

  it('names its head after SLIP (image_mlp.layerN / bnN) and reads two views', () => {
    const o = buildObjective(simclr, small);
    assert.deepEqual(o.views, ['ssl', 'ssl']);
    assert.equal(o.usesText, false);
    assert.deepEqual(
      o.variables().map((v) => v.name),
      ['layer1.weight', 'layer1.bias', 'bn1.weight', 'bn1.bias', 'layer2.weight', 'layer2.bias', 'bn2.weight', 'bn2.bias', 'layer3.weight', 'layer3.bias'].map(
        (n) => `image_mlp.${n}`,
      ),
    );
    disposeObjective(o);
  });

  it('rejects a zero temperature and a zero-width layer in the constructor, naming the option', () => {
    assert.throws(
      () => buildObjective(simclr, { ...small, temperature: 0 }),
      (e: unknown) => e instanceof SpecError && e.message === 'invalid spec: objectives[0].temperature: must be > 0 (got 0)',
    );
    assert.throws(() => buildObjective(simclr, { ...small, head: { hidden: [32, 0] } }), /objectives\[0\]\.head\.hidden\[1\]: must be an integer >= 1 \(got 0\)/);
    assert.throws(() => buildObjective(simclr, { ...small, views: ['ssl'] }), /objectives\[0\]\.views: must list exactly 2 view name\(s\)/);
  });

  it('keeps the tensor count flat over 20 training steps, and the loss goes down', async () => {
    assertLossDecreased(await trainOnRandomInputs(simclr, small, ['features.0', 'features.1']));
  });
});
