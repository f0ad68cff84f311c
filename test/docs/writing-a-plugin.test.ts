import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { resolveExperiment, runExperiment, SpecError } from '../../core/index';
import { repoRoot } from '../helpers/paths';
import { builtinRegistry, captureStream, quietLog } from '../helpers/runs';

// docs/writing-a-plugin.md stays true: its objective compiles against the built package as
// an external project sees it (slipkit/toolkit through node_modules, types included) and
// its spec trains with it beside CLIP through the public API.

/** The fenced code blocks of a markdown file with the given info string. */
function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === language).map((m) => m[2]);
}

/** Compiles one TypeScript file to CommonJS beside it; returns the compiler's diagnostics as text. */
function compile(file: string): string[] {
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: [],
  });
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('docs/writing-a-plugin.md', function () {
  this.timeout(60000);
  const markdown = fs.readFileSync(path.join(repoRoot, 'docs', 'writing-a-plugin.md'), 'utf8');
  let dir: string;

  before(() => {
    // An external project: its own folder, slipkit and tfjs installed in its node_modules.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-doc-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'slipkit'), 'dir');
    fs.symlinkSync(path.join(repoRoot, 'node_modules', '@tensorflow'), path.join(dir, 'node_modules', '@tensorflow'), 'dir');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has one plugin, importing nothing from slipkit but slipkit/toolkit, and one spec naming it', () => {
    const [plugin, ...moreTs] = codeBlocks(markdown, 'ts');
    const [spec, ...moreJson] = codeBlocks(markdown, 'json');
    assert.deepEqual([moreTs.length, moreJson.length], [0, 0]);
    const fromSlipkit = [...plugin.matchAll(/from '(slipkit[^']*)'/g)].map((m) => m[1]);
    assert.deepEqual(fromSlipkit, ['slipkit/toolkit']);
    assert.deepEqual(JSON.parse(spec).plugins, ['./align-uniform.js']);
  });

  it('compiles its objective against the built package and trains its spec: the loss is finite and logged', async () => {
    const [plugin] = codeBlocks(markdown, 'ts');
    const [spec] = codeBlocks(markdown, 'json');
    const source = path.join(dir, 'align-uniform.ts');
    fs.writeFileSync(source, plugin);
    assert.deepEqual(compile(source), []);
    assert.ok(fs.existsSync(path.join(dir, 'align-uniform.js')));
    const specFile = path.join(dir, 'clip-align-uniform.json');
    fs.writeFileSync(specFile, spec);

    // Its schema validates its options like a built-in's, with the JSON path.
    assert.throws(
      () => resolveExperiment(specFile, builtinRegistry(), ['objectives[1].t=0']),
      (e: unknown) => e instanceof SpecError && e.issues.some((i) => i.path === 'objectives[1].t'),
    );

    const registry = builtinRegistry();
    const loaded = resolveExperiment(specFile, registry);
    const runDir = path.join(dir, 'run');
    const result = await runExperiment(loaded, registry, { runDir, stdout: captureStream(), log: quietLog });
    assert.equal(result.status, 'FINISHED', result.error?.message);
    const rows = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.equal(rows.length, loaded.spec.train.steps);
    for (const row of rows) {
      for (const key of ['align-uniform/loss', 'align-uniform/align', 'align-uniform/uniform', 'clip/loss']) {
        assert.ok(Number.isFinite(row[key]), `step ${row.step}: ${key} = ${row[key]}`);
      }
      // Uniformity of normalised rows is a log-mean of exp(−t·d²) with d² ≤ 4: between −4t and 0.
      assert.ok(row['align-uniform/uniform'] <= 0 && row['align-uniform/uniform'] >= -8, String(row['align-uniform/uniform']));
    }
    assert.equal(registry.entries('objective').find((e) => e.definition.name === 'align-uniform')?.source, path.join(dir, 'align-uniform.js'));
  });
});
