import { strict as assert } from 'node:assert';
import { definePlugin } from '../../core/plugins/define';
import { PluginRegistry } from '../../core/plugins/registry';
import { PluginError } from '../../core/errors';

const fake = (name: string) =>
  definePlugin({
    kind: 'tracker',
    name,
    description: 'test tracker',
    schema: { type: 'object', properties: {} },
    create: () => {
      throw new Error('not built in this test');
    },
  });

describe('PluginRegistry', () => {
  it('refuses a second registration of the same kind and name, naming both sources', () => {
    const r = new PluginRegistry();
    r.register(fake('console'), 'source-a.js');
    assert.throws(
      () => r.register(fake('console'), 'source-b.js'),
      (e: unknown) =>
        e instanceof PluginError && e.message === 'tracker "console" is registered twice: first by source-a.js, again by source-b.js',
    );
  });

  it('suggests the nearest name for an unknown plugin', () => {
    const r = new PluginRegistry();
    r.register(fake('mlflow'), 'x');
    assert.throws(() => r.get('tracker', 'mlflw'), /unknown tracker "mlflw"; did you mean "mlflow"\?/);
    assert.throws(() => r.get('tracker', 'zzzzzzzz'), (e: unknown) => (e as Error).message === 'unknown tracker "zzzzzzzz"');
  });
});
