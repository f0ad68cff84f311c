import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveExperiments } from '../../../core/spec/resolve';
import { repoRoot } from '../../helpers/paths';
import { builtinRegistry } from '../../helpers/runs';

/** Whole specs shipped in experiments/ (base/ and views/ hold fragments for `extends`, not runnable specs). */
function shippedSpecs(): string[] {
  const root = path.join(repoRoot, 'experiments');
  const out: string[] = [];
  for (const dir of ['.', 'paper', 'replication', 'sweeps']) {
    for (const f of fs.readdirSync(path.join(root, dir))) if (f.endsWith('.json')) out.push(path.join(root, dir, f));
  }
  return out.sort();
}

describe('shipped experiments', () => {
  it('finds the ready specs', () => {
    const names = shippedSpecs().map((f) => path.relative(path.join(repoRoot, 'experiments'), f));
    for (const expected of ['quickstart.json', 'slip-fashion-mnist.json', 'paper/slip-vit-b16.json', 'sweeps/ssl-objectives-fashion-mnist.json']) {
      assert.ok(names.includes(expected), `${expected} among ${names.join(', ')}`);
    }
  });

  for (const file of shippedSpecs()) {
    it(`${path.relative(repoRoot, file)} validates (every sweep member too)`, () => {
      const runs = resolveExperiments(file, builtinRegistry());
      assert.ok(runs.length >= 1);
      for (const r of runs) assert.match(r.spec.name, /^[A-Za-z0-9][\w.-]*$/);
    });
  }

  it('the SSL sweep swaps the objective beside CLIP and keeps everything else', () => {
    const runs = resolveExperiments(path.join(repoRoot, 'experiments', 'sweeps', 'ssl-objectives-fashion-mnist.json'), builtinRegistry());
    assert.deepEqual(runs.map((r) => r.spec.objectives.map((o) => o.type)), [
      ['clip', 'simclr'],
      ['clip', 'mocov3'],
      ['clip', 'byol'],
      ['clip', 'vicreg'],
      ['clip', 'dcl'],
      ['clip', 'dclw'],
      ['clip', 'dino'],
      ['clip', 'swav'],
      ['clip', 'nnclr'],
      ['clip', 'mae'],
    ]);
    const { objectives: _a, name: _b, ...first } = runs[0].spec;
    for (const r of runs.slice(1)) {
      const { objectives: _c, name: _d, ...rest } = r.spec;
      assert.deepEqual(rest, first);
    }
  });
});
