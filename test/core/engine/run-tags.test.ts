import { strict as assert } from 'node:assert';
import { runTags, specHash, withoutLocation } from '../../../core/engine/run-tags';

describe('run tags: the spec hash', () => {
  const at = (root: string, lr = 0.01) => ({ seed: 0, baseDir: `${root}/experiments`, plugins: [`${root}/plugins/mine.js`, 'some-npm-plugin'], optimizer: { lr } });

  it('is the same for one experiment checked out in two places (base dir and plugin paths left out)', () => {
    assert.deepEqual(withoutLocation(at('/home/a/proj')), { seed: 0, plugins: ['../plugins/mine.js', 'some-npm-plugin'], optimizer: { lr: 0.01 } });
    assert.equal(runTags(at('/home/a/proj'), 'cpu')['slipkit.spec_hash'], runTags(at('/srv/b/checkout'), 'cpu')['slipkit.spec_hash']);
  });

  it('changes with a setting, and does not depend on key order', () => {
    assert.notEqual(runTags(at('/p'), 'cpu')['slipkit.spec_hash'], runTags(at('/p', 0.02), 'cpu')['slipkit.spec_hash']);
    assert.equal(specHash({ a: 1, b: { c: 2, d: 3 } }), specHash({ b: { d: 3, c: 2 }, a: 1 }));
  });
});
