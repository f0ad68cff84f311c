import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers/paths';

// The one door: plugins, built-in or external, import core only through the toolkit
// (core/toolkit.ts, published as 'slipkit/toolkit'). Every form of import counts: static,
// type-only, re-exports, `import x = require()`, require() calls, dynamic import() and
// `import('…').Type` type queries.

const CORE = path.join(repoRoot, 'core');
const TOOLKIT = path.join(CORE, 'toolkit');
const PACKAGE = 'slipkit';
/** The package's public entry points for plugin authors: core's toolkit and the objectives' (losses, heads). */
const PUBLIC_ENTRIES = new Set([`${PACKAGE}/toolkit`, `${PACKAGE}/objectives`]);

/** Every module specifier a TypeScript or JavaScript file names, in source order. */
function specifiersOf(file: string, text = fs.readFileSync(file, 'utf8')): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const literal = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) found.push(node.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) literal(node.moduleReference.expression);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) literal(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `file: specifier` for each import of core past the toolkit, by relative path or by package name. */
function importsPastTheDoor(file: string, text?: string): string[] {
  return specifiersOf(file, text)
    .filter((spec) => {
      if (spec === PACKAGE || spec.startsWith(`${PACKAGE}/`)) return !PUBLIC_ENTRIES.has(spec);
      if (!spec.startsWith('.')) return false; // another package
      const target = path.resolve(path.dirname(file), spec).replace(/\.(ts|js)$/, '');
      const inCore = target === CORE || target.startsWith(CORE + path.sep);
      return inCore && target !== TOOLKIT && target !== path.join(TOOLKIT, 'index');
    })
    .map((spec) => `${path.relative(repoRoot, file)}: ${spec}`);
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.(ts|js|cjs|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

describe('the plugin door (plugins import core only through the toolkit)', () => {
  it('no built-in plugin imports core past core/toolkit', () => {
    const files = sourceFiles(path.join(repoRoot, 'plugins'));
    assert.ok(files.length > 50, `found only ${files.length} plugin files`);
    assert.deepEqual(files.flatMap((f) => importsPastTheDoor(f)), []);
    assert.ok(files.some((f) => specifiersOf(f).some((s) => s.endsWith('/core/toolkit'))), 'no plugin imports the toolkit at all');
  });

  it('no external plugin fixture imports slipkit other than slipkit/toolkit', () => {
    const files = sourceFiles(path.join(repoRoot, 'test', 'fixtures', 'plugins'));
    assert.ok(files.length >= 2);
    assert.deepEqual(files.flatMap((f) => importsPastTheDoor(f)), []);
    assert.ok(files.every((f) => specifiersOf(f).includes('slipkit/toolkit')), 'every fixture plugin imports slipkit/toolkit');
  });

  it('catches every form of import past the door (a deliberately bad plugin)', () => {
    // Scanned as if it sat at plugins/objectives/bad.ts, so its specifiers resolve as a plugin's would.
    const bad = path.join(repoRoot, 'plugins', 'objectives', 'bad.ts');
    const text = [
      "import { Mlp } from '../../core/nn/mlp';",
      "import type { Objective } from '../../core/contracts/objective';",
      "import { definePlugin, type JsonSchema } from '../../core/toolkit';", // fine
      "export { SpecError } from '../../core/errors';",
      "export * from '../../core/random';",
      "import tokens = require('../../core/di-tokens');",
      "const loader = require('../../core/data/loader');",
      "const later = () => import('../../core/engine/run');",
      "type Cfg = import('../../core/nn/mlp').MlpConfig;",
      "import { runExperiment } from 'slipkit';",
      "import { log } from 'slipkit/dist/core/logger';",
      "import { Rng } from 'slipkit/toolkit';", // fine
      "import { ntXentLoss } from 'slipkit/objectives';", // fine: the objectives' public entry
      "import * as tf from '@tensorflow/tfjs';", // fine
      "import { HeadBuilder } from './common/heads';", // fine: plugin to plugin
    ].join('\n');
    const where = 'plugins/objectives/bad.ts';
    assert.deepEqual(importsPastTheDoor(bad, text), [
      `${where}: ../../core/nn/mlp`,
      `${where}: ../../core/contracts/objective`,
      `${where}: ../../core/errors`,
      `${where}: ../../core/random`,
      `${where}: ../../core/di-tokens`,
      `${where}: ../../core/data/loader`,
      `${where}: ../../core/engine/run`,
      `${where}: ../../core/nn/mlp`,
      `${where}: slipkit`,
      `${where}: slipkit/dist/core/logger`,
    ]);
  });

  it('the toolkit is published as slipkit/toolkit, with its types', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    assert.deepEqual(pkg.exports['./toolkit'], { types: './dist/core/toolkit.d.ts', default: './dist/core/toolkit.js' });
    // The package resolves itself by name (Node's self-reference), as an external plugin does.
    assert.equal(require.resolve('slipkit/toolkit'), path.join(repoRoot, 'dist', 'core', 'toolkit.js'));
    assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'core', 'toolkit.d.ts')));
  });

  it('the losses and heads are published as slipkit/objectives: the very functions the built-ins use, with types', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    assert.deepEqual(pkg.exports['./objectives'], { types: './dist/plugins/objectives/toolkit.d.ts', default: './dist/plugins/objectives/toolkit.js' });
    const published = require('slipkit/objectives') as Record<string, unknown>;
    const builtin = require(path.join(repoRoot, 'dist', 'plugins', 'objectives', 'losses', 'nt-xent.js')) as Record<string, unknown>;
    const heads = require(path.join(repoRoot, 'dist', 'plugins', 'objectives', 'common', 'heads.js')) as Record<string, unknown>;
    assert.equal(published.ntXentLoss, builtin.ntXentLoss);
    assert.equal(published.HeadBuilder, heads.HeadBuilder);
    for (const name of ['clipLoss', 'mocoInfoNceLoss', 'negativeCosine', 'normalizedMse', 'barlowTwinsLoss', 'vicregLoss', 'normalizedOutputStd', 'headSchema', 'temperatureSchema']) {
      assert.equal(typeof published[name], 'function', `slipkit/objectives lacks ${name}`);
    }
    assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'plugins', 'objectives', 'toolkit.d.ts')));
  });
});
