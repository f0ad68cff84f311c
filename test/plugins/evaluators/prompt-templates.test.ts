import { strict as assert } from 'node:assert';
import { PROMPT_TEMPLATE_SETS, PROMPT_TEMPLATE_SET_NAMES, resolveTemplates } from '../../../plugins/evaluators/prompt-templates';

describe('prompt templates', () => {
  it('every shipped set is non-empty and each template has exactly one {}', () => {
    for (const name of PROMPT_TEMPLATE_SET_NAMES) {
      assert.ok(PROMPT_TEMPLATE_SETS[name].length > 0, name);
      for (const t of PROMPT_TEMPLATE_SETS[name]) assert.equal(t.split('{}').length, 2, `${name}: "${t}"`);
    }
  });

  it('prefers the spec (set name or list), then the dataset, then the generic set', () => {
    assert.equal(resolveTemplates('mnist', ['x {}']), PROMPT_TEMPLATE_SETS.mnist);
    assert.deepEqual(resolveTemplates(['my {}'], ['x {}']), ['my {}']);
    assert.deepEqual(resolveTemplates(undefined, ['x {}']), ['x {}']);
    assert.equal(resolveTemplates(undefined, undefined), PROMPT_TEMPLATE_SETS.generic);
    assert.equal(resolveTemplates([], []), PROMPT_TEMPLATE_SETS.generic);
  });
});
