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
    assert.deepEqual(names, ['barlow-twins', 'byol', 'clip', 'dcl', 'dclw', 'dino', 'mae', 'mocov3', 'nnclr', 'simclr', 'simsiam', 'swav', 'vicreg']);
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

  describe('sweeps', () => {
    let dir: string;
    let sweepFile: string;
    before(() => {
      dir = tempDir('cli-sweep');
      sweepFile = path.join(dir, 'sweep.json');
      const spec = { extends: specPath('tiny-slip.json'), tracking: { type: 'console' }, train: { steps: 2 }, sweep: { grid: { 'objectives[1].temperature': [0.1, 0.2] } } };
      fs.writeFileSync(sweepFile, JSON.stringify(spec));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('validate checks every member; resolve prints them as an array', async () => {
      const v = await cli('validate', sweepFile);
      assert.equal(v.code, 0, v.err);
      assert.match(v.out, /ok .*sweep\.json \(sweep of 2 runs, every member valid\)/);
      const r = await cli('resolve', sweepFile);
      assert.equal(r.code, 0, r.err);
      const specs = JSON.parse(r.out) as Array<{ name: string; objectives: Array<{ temperature?: number }> }>;
      assert.deepEqual(specs.map((s) => [s.name, s.objectives[1].temperature]), [['tiny-slip-0', 0.1], ['tiny-slip-1', 0.2]]);
    });

    it('run trains each member in its own directory, records its place in the sweep, and summarises', async () => {
      const runs = path.join(dir, 'all');
      const r = await cli('run', sweepFile, '--run-dir', runs);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^sweep tiny-slip: 2 runs$/m);
      assert.match(r.out, /== sweep member 2\/2 \(tiny-slip-1\): objectives\[1\]\.temperature=0\.2/);
      assert.match(r.out, /sweep summary \(2 runs; [^)]*\):\ntiny-slip-0 +FINISHED +objectives\[1\]\.temperature=0\.1 .*\ntiny-slip-1 +FINISHED/);
      for (const [i, t] of [[0, 0.1], [1, 0.2]] as const) {
        const record = JSON.parse(fs.readFileSync(path.join(runs, `tiny-slip-${i}`, 'run.json'), 'utf8'));
        assert.equal(record.status, 'FINISHED');
        assert.deepEqual(record.sweep, { name: 'tiny-slip', index: i, count: 2, values: { 'objectives[1].temperature': t } });
        const saved = JSON.parse(fs.readFileSync(path.join(runs, `tiny-slip-${i}`, 'spec.resolved.json'), 'utf8'));
        assert.equal(saved.objectives[1].temperature, t);
        assert.equal(saved.sweep, undefined);
      }
    });

    it('--member runs one member; an out-of-range member or a plain spec is invalid input', async () => {
      const one = path.join(dir, 'one');
      const r = await cli('run', sweepFile, '--member', '1', '--run-dir', one);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(fs.readdirSync(one), ['tiny-slip-1']);
      const far = await cli('run', sweepFile, '--member', '2');
      assert.equal(far.code, 2);
      assert.match(far.err, /--member: the sweep has 2 members \(0-1\), got 2/);
      const plain = await cli('run', specPath('tiny-slip.json'), '--member', '0');
      assert.equal(plain.code, 2);
      assert.match(plain.err, /--member: the spec has no sweep block/);
    });

    it('a failing member does not stop the others; the exit code is the failure\'s', async () => {
      const runs = path.join(dir, 'failing');
      const file = path.join(dir, 'failing.json');
      const bad = { type: 'image-text-manifest', path: path.join(dir, 'no-such-manifest.tsv') };
      fs.writeFileSync(file, JSON.stringify({ extends: sweepFile, sweep: { list: [{ 'data.train': bad }, { seed: 4 }] } }));
      const r = await cli('run', file, '--run-dir', runs);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, /no-such-manifest\.tsv/);
      // The base's grid (2 temperatures) crossed with this file's list (2 entries): 4 runs.
      assert.match(r.out, /^sweep tiny-slip: 4 runs$/m);
      assert.match(r.out, /tiny-slip-0 +FAILED .*no-such-manifest\.tsv: manifest not found/);
      assert.match(r.out, /tiny-slip-1 +FAILED /);
      assert.match(r.out, /tiny-slip-2 +FINISHED +seed=4, objectives\[1\]\.temperature=0\.1/);
      assert.match(r.out, /tiny-slip-3 +FINISHED /);
    });
  });
});

