import { strict as assert } from 'node:assert';
import type { ImageEncoder } from '../../../../core/contracts/encoders';
import { IMAGE_ENCODER } from '../../../../core/di-tokens';
import { SpecError } from '../../../../core/errors';
import simclr from '../../../../plugins/objectives/simclr';
import { buildObjective, disposeObjective, testContext } from '../support/harness';

/** Just enough of an image encoder for an objective to read its feature width. */
const encoderOfWidth = (featureDim: number): ImageEncoder => ({
  featureDim,
  imageSize: 32,
  variables: () => [],
  forward: () => {
    throw new Error('not run in this test');
  },
});

const head = { hidden: [8], out: 4 };

describe('objective heads: input width', () => {
  it("sizes the heads from the image encoder registered under IMAGE_ENCODER", () => {
    const ctx = testContext();
    ctx.container.registerInstance(IMAGE_ENCODER, encoderOfWidth(12));
    const o = buildObjective(simclr, { head }, ctx);
    assert.deepEqual(o.variables()[0].variable.shape, [12, 8]);
    disposeObjective(o);
  });

  it('falls back to inputDim without an image encoder, and refuses a disagreeing or missing width', () => {
    const o = buildObjective(simclr, { head, inputDim: 6 });
    assert.deepEqual(o.variables()[0].variable.shape, [6, 8]);
    disposeObjective(o);

    const ctx = testContext();
    ctx.container.registerInstance(IMAGE_ENCODER, encoderOfWidth(12));
    assert.throws(
      () => buildObjective(simclr, { head, inputDim: 6 }, ctx),
      (e: unknown) =>
        e instanceof SpecError &&
        e.message === "invalid spec: objectives[0].inputDim: is 6 but the image encoder's features are 12 wide; leave inputDim out",
    );
    assert.throws(() => buildObjective(simclr, { head }), /objectives\[0\]: cannot size the heads: no image encoder is registered/);
  });

  it('initialises the same head for the same seed and spec path, a different one elsewhere', () => {
    const values = (seed: number, path: string) => {
      const o = buildObjective(simclr, { head, inputDim: 6 }, testContext({ seed, path }));
      const v = Array.from(o.variables()[0].variable.dataSync());
      disposeObjective(o);
      return v;
    };
    assert.deepEqual(values(3, 'objectives[1]'), values(3, 'objectives[1]'));
    assert.notDeepEqual(values(3, 'objectives[1]'), values(4, 'objectives[1]'));
    assert.notDeepEqual(values(3, 'objectives[1]'), values(3, 'objectives[2]'));
  });
});
