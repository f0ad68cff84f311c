import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';
import { builtinRegistry } from '../helpers/runs';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  const coreFiles = tsFiles(path.join(repoRoot, 'core'));

  it('core never imports from plugins/', () => {
    const pluginsDir = path.join(repoRoot, 'plugins') + path.sep;
    const offenders = coreFiles.filter((f) =>
      [...fs.readFileSync(f, 'utf8').matchAll(/(?:from\s+|require\()['"](\.[^'"]+)['"]/g)].some((m) => path.resolve(path.dirname(f), m[1]).startsWith(pluginsDir)),
    );
    assert.deepEqual(offenders.map((f) => path.relative(repoRoot, f)), []);
  });

  it('core never names a built-in plugin in a string literal', () => {
    const names = builtinRegistry().entries().map((e) => e.definition.name);
    const offenders: string[] = [];
    for (const f of coreFiles) {
      const code = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may mention plugins
      for (const n of names) if (new RegExp(`['"\`]${n.replace(/[.-]/g, '\\$&')}['"\`]`).test(code)) offenders.push(`${path.relative(repoRoot, f)}: "${n}"`);
    }
    assert.deepEqual(offenders, []);
  });

  it('every built-in plugin sits in its own file beside a test of the same name', () => {
    const missing: string[] = [];
    for (const dir of fs.readdirSync(path.join(repoRoot, 'plugins'), { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      for (const f of fs.readdirSync(path.join(repoRoot, 'plugins', dir.name))) {
        const src = path.join(repoRoot, 'plugins', dir.name, f);
        if (!f.endsWith('.ts') || !/export default definePlugin/.test(fs.readFileSync(src, 'utf8'))) continue;
        const test = path.join(repoRoot, 'test', 'plugins', dir.name, f.replace(/\.ts$/, '.test.ts'));
        if (!fs.existsSync(test)) missing.push(path.relative(repoRoot, test));
      }
    }
    assert.deepEqual(missing, []);
  });

  it('no core/nn or core/engine file names a backend: layers and the optimizer call kernels, core/backend picks them', () => {
    const namesABackend = [
      /['"`](tensorflow|webgpu|wasm|webgl|cpu)['"`]/,
      /getBackend\(/,
      /fusedOpsActive/,
      /from\s+['"][^'"]*backend\/(tensorflow|webgpu|wasm|cpu|native|tensorflow-ops|fused-ops|wgsl)[^'"]*['"]/,
    ];
    const offenders: string[] = [];
    for (const f of coreFiles) {
      const rel = path.relative(repoRoot, f).split(path.sep).join('/');
      if (!/^core\/(nn|engine)\//.test(rel)) continue;
      const code = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may explain
      for (const pattern of namesABackend) if (pattern.test(code)) offenders.push(`${rel}: ${pattern}`);
    }
    assert.deepEqual(offenders, []);
  });
});
