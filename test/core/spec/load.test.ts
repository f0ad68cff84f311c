import { strict as assert } from 'node:assert';
import { SpecError } from '../../../core/errors';
import { loadSpec } from '../../../core/spec/load';
import { deepMerge } from '../../../core/spec/merge';
import { applyOverride, applyOverrides } from '../../../core/spec/overrides';
import { fixturePath } from '../../helpers/paths';

const specFile = (name: string) => fixturePath('specs', 'extends', name);

describe('spec loading: extends', () => {
  it('merges bases in order with the file on top: objects merged, arrays replaced, null deletes, a changed plugin type replaces the block', () => {
    const spec = loadSpec(specFile('top.json'));
    assert.deepEqual(spec, {
      seed: 2,
      data: { imageSize: 32, workers: 2 },
      train: { steps: 20, batchSize: 8 },
      objectives: [{ type: 'clip' }, { type: 'simclr' }],
      optimizer: { lr: 0.001, betas: [0.8, 0.9] },
      tracking: { type: 'b-tracker' },
      plugins: [specFile('third/local-plugin.js'), 'some-npm-plugin'],
      name: 'top',
    });
  });

  it('makes relative plugin paths absolute against the file that names them (a base or the top spec)', () => {
    assert.deepEqual(loadSpec(specFile('second.json')).plugins, [specFile('plugins/base-plugin.js')]);
  });

  it('reports a cycle with the chain of files', () => {
    assert.throws(() => loadSpec(specFile('cycle-a.json')), (e: unknown) => e instanceof SpecError && /extends: cycle: cycle-a.json -> cycle-b.json -> cycle-a.json/.test(e.message));
  });

  it('reports a JSON syntax error with file, line and column', () => {
    assert.throws(() => loadSpec(specFile('syntax-error.json')), (e: unknown) => e instanceof SpecError && /syntax-error.json:2:3: JSON syntax error \(CommaExpected\)/.test(e.message));
  });

  it('names a missing spec file and a missing base', () => {
    assert.throws(() => loadSpec(specFile('nope.json')), /spec file not found: .*nope.json/);
    assert.throws(() => loadSpec(fixturePath('specs', 'missing-base.json')), /extends: base spec not found: \.\/does-not-exist.json/);
  });
});

describe('deepMerge', () => {
  it('does not mutate its inputs', () => {
    const base = { a: { b: 1 }, list: [1, 2] };
    const over = { a: { c: 2 }, list: [3] };
    const merged = deepMerge(base, over);
    assert.deepEqual(merged, { a: { b: 1, c: 2 }, list: [3] });
    assert.deepEqual(base, { a: { b: 1 }, list: [1, 2] });
  });
});

describe('--set overrides', () => {
  const spec = () => ({ train: { steps: 10 }, objectives: [{ type: 'clip' }, { type: 'simclr', temperature: 0.1 }], name: 'x' });

  const cases: Array<[string, (s: ReturnType<typeof spec>) => unknown, unknown]> = [
    ['train.steps=100', (s) => s.train.steps, 100],
    ['objectives[1].temperature=0.2', (s) => s.objectives[1].temperature, 0.2],
    ['objectives[0].type=byol', (s) => s.objectives[0].type, 'byol'],
    ['name=my-run', (s) => s.name, 'my-run'],
    ['name="007"', (s) => s.name, '007'],
    ['train.fresh.deep=true', (s) => (s.train as Record<string, unknown>).fresh, { deep: true }],
    ['objectives[2]={"type":"vicreg"}', (s) => s.objectives[2], { type: 'vicreg' }],
    ['optimizer.betas=[0.9,0.95]', (s) => (s as Record<string, unknown>).optimizer, { betas: [0.9, 0.95] }],
    ['train.steps=null', (s) => 'steps' in s.train, false],
  ];
  for (const [assignment, read, expected] of cases) {
    it(`${assignment}`, () => {
      const s = spec();
      applyOverrides(s, [assignment]);
      assert.deepEqual(read(s), expected);
    });
  }

  it('refuses indices past the end and malformed assignments, naming them', () => {
    assert.throws(() => applyOverride(spec(), 'objectives[5].type=clip'), /--set: objectives\[5\]\.type: index \[5\] is out of range \(the array has 2 items\)/);
    assert.throws(() => applyOverride(spec(), 'train.steps'), /--set: expected path=value, got "train.steps"/);
    assert.throws(() => applyOverride(spec(), 'name.inner=1'), /cannot set inside a string/);
  });
});
