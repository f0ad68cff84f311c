import { strict as assert } from 'node:assert';
import { flattenSpec } from '../../../core/spec/flatten';

describe('flattenSpec (run parameters)', () => {
  it('uses dotted keys, indexes arrays of objects, keeps scalar arrays as JSON, drops $schema', () => {
    assert.deepEqual(
      flattenSpec({ $schema: 'x.json', name: 'r', objectives: [{ type: 'clip' }, { type: 'simclr', temperature: 0.1 }], optimizer: { betas: [0.9, 0.98] }, views: { plain: [] }, eval: [] }),
      { name: 'r', 'objectives.0.type': 'clip', 'objectives.1.type': 'simclr', 'objectives.1.temperature': '0.1', 'optimizer.betas': '[0.9,0.98]', 'views.plain': '[]', eval: '[]' },
    );
  });
});
