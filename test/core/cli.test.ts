import { strict as assert } from 'node:assert';
import { main } from '../../core/cli/main';
import { makeCliContext } from '../../core/cli/context';
import { builtinCommands, builtinPlugins } from '../../plugins/index';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureStream, specPath, tempDir } from '../helpers/runs';
import { fixturePath } from '../helpers/paths';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = captureStream();
  const err = captureStream();
  const code = await main(['node', 'slipkit', ...args], builtinPlugins, makeCliContext(builtinPlugins, out, err, builtinCommands));
  return { code, out: out.text(), err: err.text() };
}

describe('CLI', () => {
  it('--help lists every command and exits 0', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    for (const c of ['validate', 'resolve', 'schema', 'plugins', 'run', 'resume', 'eval', 'preview', 'runs', 'sync', 'doctor']) assert.match(r.out, new RegExp(`\\n  ${c} `));
  });

  it('every command has --help', async () => {
    for (const c of ['validate', 'resolve', 'schema', 'plugins', 'run', 'resume', 'eval', 'preview', 'runs', 'sync', 'doctor']) {
      const r = await cli(c, '--help');
      assert.equal(r.code, 0, c);
      assert.match(r.out, /Usage: slipkit /);
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    assert.equal((await cli('bogus')).code, 2);
    assert.equal((await cli('validate', '--nope', 'x.json')).code, 2);
  });

  it('validate: 0 for a valid spec, 2 with the path and message for an invalid one', async () => {
    const ok = await cli('validate', specPath('external-plugins.json'));
    assert.equal(ok.code, 0, ok.err);
    const bad = await cli('validate', specPath('external-plugins.json'), '--set', 'train.steps=0');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^error: invalid spec .*external-plugins.json: train.steps: must be >= 1, got 0\n$/);
  });

  it('validate: a missing file is invalid input (2) and names the file', async () => {
    const r = await cli('validate', fixturePath('specs', 'nope.json'));
    assert.equal(r.code, 2);
    assert.match(r.err, /spec file not found: .*nope\.json/);
  });

  it('resolve prints the spec with defaults filled', async () => {
    const r = await cli('resolve', specPath('external-plugins.json'), '--set', 'seed=3');
    assert.equal(r.code, 0, r.err);
    const spec = JSON.parse(r.out);
    assert.equal(spec.seed, 3);
    assert.deepEqual(spec.optimizer.betas, [0.9, 0.98]);
    assert.equal(spec.objectives[0].weight, 0.5);
    assert.equal(spec.objectives[1].weight, 1);
  });

  it('plugins lists kinds and names; an unknown kind is invalid input', async () => {
    const r = await cli('plugins', 'objective');
    assert.equal(r.code, 0);
    assert.match(r.out, /^objective /);
    assert.match(r.out, /\n  simclr /);
    const bad = await cli('plugins', 'objectiv');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown plugin kind "objectiv"; did you mean "objective"\?/);
  });

  it('schema prints a JSON Schema whose objective union covers every objective', async () => {
    const r = await cli('schema');
    const schema = JSON.parse(r.out);
    const names = schema.definitions.objective.oneOf.map((s: { properties: { type: { const: string } } }) => s.properties.type.const);
    assert.deepEqual(names, ['barlow-twins', 'byol', 'clip', 'mocov3', 'simclr', 'simsiam', 'vicreg']);
  });

  it('run: exit 1 when training fails (NaN loss), 2 when the data is missing, naming the file', async () => {
    const dir = tempDir('cli-run');
    try {
      const nan = await cli('run', specPath('external-plugins.json'), '--set', 'objectives[0].nanAtStep=1', '--set', 'tracking={"type":"console"}', '--run-dir', path.join(dir, 'nan'));
      assert.equal(nan.code, 1);
      const missing = await cli('run', specPath('external-plugins.json'), '--set', 'data.train={"type":"image-text-manifest","path":"no-such-manifest.tsv"}', '--run-dir', path.join(dir, 'missing'));
      assert.equal(missing.code, 2);
      assert.match(missing.err, /no-such-manifest\.tsv/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

