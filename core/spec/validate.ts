import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { SpecError, type SpecIssue } from '../errors';
import { KIND_INFO, isPluginKind } from '../plugins/kinds';
import type { PluginRegistry } from '../plugins/registry';
import { didYouMean } from '../plugins/suggest';
import { composeExperimentSchema, KIND_MARK } from './compose-schema';
import { describeValue, joinPath, pointerToPath, valueAtPointer } from './json-path';
import type { RawSpec, ResolvedSpec } from './types';

function childPath(parent: string, key: string): string {
  return parent ? `${parent}${joinPath([key]).replace(/^(?=[A-Za-z_$])/, '.')}` : joinPath([key]);
}

/** Turns one ajv error into a readable issue: path, what was expected, what was found. */
function toIssue(err: ErrorObject, spec: unknown, registry?: PluginRegistry): SpecIssue | undefined {
  const path = pointerToPath(err.instancePath);
  const found = valueAtPointer(spec, err.instancePath);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { path: childPath(path, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
      return { path: childPath(path, key), message: `unknown key${didYouMean(key, allowed)}` };
    }
    case 'type':
      return { path, message: `must be ${String(p.type).replace(',', ' or ')}, got ${typeof found === 'string' ? 'string ' : ''}${describeValue(found)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${String(p.comparison)} ${String(p.limit)}, got ${describeValue(found)}` };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof found === 'string' ? didYouMean(found, (p.allowedValues as unknown[]).map(String)) : '';
      return { path, message: `must be one of ${allowed.join(', ')}, got ${describeValue(found)}${hint}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}, got ${describeValue(found)}` };
    case 'minItems':
      return { path, message: `must have at least ${String(p.limit)} item(s), got ${Array.isArray(found) ? found.length : describeValue(found)}` };
    case 'maxItems':
      return { path, message: `must have at most ${String(p.limit)} item(s), got ${Array.isArray(found) ? found.length : describeValue(found)}` };
    case 'minProperties':
      return { path, message: `must have at least ${String(p.limit)} key(s)` };
    case 'minLength':
      return { path, message: `must be at least ${String(p.limit)} character(s) long, got ${describeValue(found)}` };
    case 'pattern':
      if (err.propertyName !== undefined) {
        return { path: childPath(path, err.propertyName), message: `invalid name: must match ${String(p.pattern)}` };
      }
      return { path, message: `must match ${String(p.pattern)}, got ${describeValue(found)}` };
    case 'propertyName':
      return undefined; // reported by the nested `pattern` error on the name itself
    case 'discriminator': {
      const kind = String((err.parentSchema as Record<string, unknown> | undefined)?.[KIND_MARK] ?? '');
      const label = isPluginKind(kind) ? KIND_INFO[kind].label : 'plugin';
      const names = isPluginKind(kind) && registry ? registry.names(kind) : [];
      const tag = (found as Record<string, unknown> | undefined)?.type;
      if (p.error === 'tag' && tag === undefined) {
        return { path: childPath(path, 'type'), message: `is required (one of ${names.map((n) => `"${n}"`).join(', ')})` };
      }
      if (typeof tag !== 'string') return { path: childPath(path, 'type'), message: `must be a string naming ${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label}, got ${describeValue(tag)}` };
      return { path: childPath(path, 'type'), message: `unknown ${label} "${tag}"${didYouMean(tag, names)}` };
    }
    case 'if':
    case 'oneOf':
    case 'anyOf':
      return undefined; // the failing branch reports the concrete problem
    default:
      return { path, message: err.message ?? err.keyword };
  }
}

/** Readable issues for ajv's errors on `spec`, duplicates dropped. */
export function ajvIssues(errors: readonly ErrorObject[], spec: unknown, registry?: PluginRegistry): SpecIssue[] {
  const seen = new Set<string>();
  const out: SpecIssue[] = [];
  for (const err of errors) {
    const issue = toIssue(err, spec, registry);
    if (!issue) continue;
    const key = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}

/** Issues that JSON Schema cannot express: references between parts of the spec. */
function crossReferenceIssues(spec: ResolvedSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const viewNames = Object.keys(spec.views ?? {});
  (spec.objectives ?? []).forEach((o, i) => {
    const views = o.views;
    if (!Array.isArray(views)) return;
    views.forEach((v, j) => {
      if (typeof v === 'string' && !viewNames.includes(v)) {
        const defined = viewNames.length ? ` (defined views: ${viewNames.join(', ')})` : ' (the spec defines no views)';
        issues.push({ path: `objectives[${i}].views[${j}]`, message: `unknown view "${v}"${didYouMean(v, viewNames)}${defined}` });
      }
    });
  });
  if (spec.model?.text && !spec.data?.tokenizer) {
    issues.push({ path: 'data.tokenizer', message: 'is required when model.text is set (captions must be tokenised)' });
  }
  if (spec.train && spec.train.batchSize % spec.train.accumulate !== 0) {
    issues.push({
      path: 'train.accumulate',
      message: `must divide train.batchSize (${spec.train.batchSize}), got ${spec.train.accumulate}`,
    });
  }
  const best = spec.train?.bestMetric;
  if (typeof best === 'string') {
    const labels = blockLabels(spec.eval ?? []);
    const prefix = best.split('/')[0];
    if (!best.includes('/') || !labels.includes(prefix)) {
      const known = labels.length ? ` (evaluators: ${labels.join(', ')})` : ' (the spec has no evaluators)';
      issues.push({ path: 'train.bestMetric', message: `must be "<evaluator>/<metric>" for an evaluator of eval, got ${describeValue(best)}${didYouMean(prefix, labels)}${known}` });
    }
  }
  if (spec.train?.gradCache && spec.train.accumulate > 1) {
    issues.push({ path: 'train.gradCache', message: 'cannot be combined with train.accumulate > 1 (GradCache already bounds memory)' });
  }
  if (spec.train?.gradCache && spec.train.gradCache.chunkSize > spec.train.batchSize) {
    issues.push({
      path: 'train.gradCache.chunkSize',
      message: `must be <= train.batchSize (${spec.train.batchSize}), got ${spec.train.gradCache.chunkSize}`,
    });
  }
  return issues;
}

/**
 * The label of each block of a list (objectives, evaluators): its `name`, else its type; a
 * label used twice is numbered by its place (`knn_0`, `knn_2`). Metrics are prefixed with it.
 */
export function blockLabels(blocks: ReadonlyArray<{ type: string; name?: unknown }>): string[] {
  const types = blocks.map((b) => (typeof b.name === 'string' ? b.name : b.type));
  return types.map((t, i) => (types.filter((x) => x === t).length > 1 ? `${t}_${i}` : t));
}

/**
 * Validates whole specs against the base schema composed with every registered plugin's
 * schema, filling defaults in place. Compile once per registry state.
 */
export class SpecValidator {
  private readonly check: ValidateFunction;

  constructor(private readonly registry: PluginRegistry) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, discriminator: true, strict: false, verbose: true });
    this.check = ajv.compile(composeExperimentSchema(registry));
  }

  /** Returns the issues (empty when valid). Fills defaults into `spec`. */
  issues(spec: RawSpec): SpecIssue[] {
    if (this.check(spec)) return crossReferenceIssues(spec as unknown as ResolvedSpec);
    return ajvIssues(this.check.errors ?? [], spec, this.registry);
  }

  /** Throws a SpecError listing every issue, or returns the spec typed as resolved. */
  validate(spec: RawSpec, source?: string): ResolvedSpec {
    const issues = this.issues(spec);
    if (issues.length) throw new SpecError(issues, source);
    return spec as unknown as ResolvedSpec;
  }
}

const compiled = new WeakMap<PluginRegistry, { plugins: number; validator: SpecValidator }>();

/**
 * The validator for a registry's plugins, compiled once per registry state (compiling the
 * composed schema is the slow part of loading a spec). A registry only grows, so its number
 * of plugins identifies its state.
 */
export function validatorFor(registry: PluginRegistry): SpecValidator {
  const plugins = registry.entries().length;
  const cached = compiled.get(registry);
  if (cached && cached.plugins === plugins) return cached.validator;
  const validator = new SpecValidator(registry);
  compiled.set(registry, { plugins, validator });
  return validator;
}
