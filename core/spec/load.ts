import * as fs from 'node:fs';
import * as path from 'node:path';
import { getNodePath, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { SpecError } from '../errors';
import { joinPath } from './json-path';
import { deepMerge } from './merge';
import type { RawSpec } from './types';

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** The value node of the first property named `key`, at any depth. */
function findKey(node: Node, key: string): Node | undefined {
  if (node.type === 'property' && node.children?.[0].value === key) return node.children[1] ?? node.children[0];
  for (const child of node.children ?? []) {
    const found = findKey(child, key);
    if (found) return found;
  }
  return undefined;
}

/** Reads one JSON file; comments and trailing commas are tolerated. */
export function readJsonFile(file: string): RawSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw SpecError.at('', code === 'ENOENT' ? `spec file not found: ${file}` : `cannot read ${file}: ${(err as Error).message}`);
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const e = errors[0];
    throw SpecError.at('', `${file}:${lineCol(text, e.offset)}: JSON syntax error (${printParseErrorCode(e.error)})`);
  }
  // A "__proto__" key would become the object's prototype, not a key the validator sees.
  const proto = tree && findKey(tree, '__proto__');
  if (proto) throw SpecError.at(joinPath(getNodePath(proto)), `unknown key (${file}:${lineCol(text, proto.offset)})`);
  const value: unknown = tree && getNodeValue(tree);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw SpecError.at('', `${file}: a spec must be a JSON object`);
  }
  return value as RawSpec;
}

/** A `plugins` entry that names a file relative to the spec (not an npm package or an absolute path). */
export function isRelativePluginPath(entry: unknown): entry is string {
  return typeof entry === 'string' && entry.startsWith('.');
}

/**
 * Loads a spec and its `extends` chain (one or more bases, merged in order, the file on
 * top). Relative `plugins` entries of every file are made absolute against that file's
 * directory, so the merged spec names its plugins the same from anywhere.
 */
export function loadSpec(file: string): RawSpec {
  const top = path.resolve(file);
  return loadWithBases(top, path.dirname(top), []);
}

function loadWithBases(file: string, topDir: string, chain: string[]): RawSpec {
  if (chain.includes(file)) {
    throw SpecError.at('extends', `cycle: ${[...chain, file].map((f) => path.relative(topDir, f) || f).join(' -> ')}`);
  }
  const spec = readJsonFile(file);
  const dir = path.dirname(file);
  if (Array.isArray(spec.plugins)) spec.plugins = spec.plugins.map((p) => (isRelativePluginPath(p) ? path.resolve(dir, p) : p));
  const ext = spec.extends;
  delete spec.extends;
  if (ext === undefined) return spec;
  const bases = typeof ext === 'string' ? [ext] : ext;
  if (!Array.isArray(bases) || bases.some((b) => typeof b !== 'string')) {
    throw SpecError.at('extends', `must be a path or a list of paths, got ${JSON.stringify(ext)}`, file);
  }
  let merged: unknown = {};
  for (const base of bases as string[]) {
    const baseFile = path.resolve(dir, base);
    if (!fs.existsSync(baseFile)) throw SpecError.at('extends', `base spec not found: ${base} (from ${file})`);
    merged = deepMerge(merged, loadWithBases(baseFile, topDir, [...chain, file]));
  }
  return deepMerge(merged, spec) as RawSpec;
}
