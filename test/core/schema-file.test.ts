import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { experimentSchemaText } from '../../core/spec/schema-file';
import { repoRoot } from '../helpers/paths';
import { builtinRegistry } from '../helpers/runs';

describe('schemas/experiment.schema.json', () => {
  it('is current: equal to what `slipkit schema` generates from the registry (regenerate: node bin/slipkit.js schema -o schemas/experiment.schema.json)', () => {
    const committed = fs.readFileSync(path.join(repoRoot, 'schemas', 'experiment.schema.json'), 'utf8');
    assert.ok(committed === experimentSchemaText(builtinRegistry()), 'schemas/experiment.schema.json is stale: run `node bin/slipkit.js schema -o schemas/experiment.schema.json`');
  });
});
