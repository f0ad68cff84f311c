import { strict as assert } from 'node:assert';
import { TrainingError } from '../../../../core/errors';
import { NanGuard } from '../../../../core/engine/hooks/nan-guard';
import { fakeRun, report } from './fake-run';

describe('hooks: NaN guard', () => {
  it('lets finite losses through', () => {
    new NanGuard().checkStep(fakeRun(10, 4), report());
  });

  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`fails on a loss of ${bad}, naming the step being taken and the objective`, () => {
      assert.throws(
        () => new NanGuard().checkStep(fakeRun(10, 4), report({ losses: { clip: 0.3, simclr: bad } })),
        (e: unknown) => e instanceof TrainingError && e.message === `step 4: the loss of objective "simclr" is ${bad}; stopping (the last good checkpoint is kept)`,
      );
    });
  }
});
