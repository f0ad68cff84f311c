import { strict as assert } from 'node:assert';
import { container } from 'tsyringe';
import { Logger } from '../../../core/logger';
import { PluginBuilder } from '../../../core/plugins/builder';
import { definePlugin } from '../../../core/plugins/define';
import { withDefaults } from '../../../core/plugins/options';
import { PluginRegistry } from '../../../core/plugins/registry';
import type { JsonSchema } from '../../../core/spec/json-schema';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    temperature: { type: 'number', default: 0.1 },
    head: { type: 'object', default: {}, properties: { hidden: { type: 'array', default: [8, 8] }, out: { type: 'integer', default: 4 } } },
    note: { type: 'string' },
  },
};

describe('plugin options: defaults come from the schema', () => {
  it('fills top-level and nested defaults, keeps given values, leaves the input alone', () => {
    const given = { head: { out: 2 }, note: 'x' };
    assert.deepEqual(withDefaults(schema, given), { temperature: 0.1, head: { hidden: [8, 8], out: 2 }, note: 'x' });
    assert.deepEqual(given, { head: { out: 2 }, note: 'x' });
  });

  it('the builder hands create complete options, even for a bare { type } block', () => {
    const seen: unknown[] = [];
    const registry = new PluginRegistry();
    registry.register(
      definePlugin({ kind: 'tracker', name: 'probe', description: 'records its options', schema, create: (options) => (seen.push(options), {} as never) }),
      'test',
    );
    const builder = new PluginBuilder({ registry, container: container.createChildContainer(), log: new Logger('error', { write: () => undefined }), seed: 0, baseDir: '.', settings: { imageSize: 8, embedDim: 4 } });
    builder.build('tracker', { type: 'probe' }, 'tracking');
    assert.deepEqual(seen, [{ temperature: 0.1, head: { hidden: [8, 8], out: 4 } }]);
  });
});
