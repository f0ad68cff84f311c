/**
 * Generators of invalid specs for the property tests: each starts from a valid spec and
 * breaks exactly one thing, so the JSON path the error must name is known in advance.
 */
import fc from 'fast-check';
import { BACKENDS } from '../../../../core/spec/base-schema';
import { KIND_INFO, type PluginKind } from '../../../../core/plugins/kinds';
import type { PluginRegistry } from '../../../../core/plugins/registry';

type Json = unknown;
export type SpecObject = Record<string, Json>;

/** A small valid SLIP spec using the built-in plugins (views, objectives, evaluators, tracker). */
export function validSpec(): SpecObject {
  return {
    name: 'table',
    backend: 'cpu',
    data: { train: { type: 'mnist', split: 'train' }, tokenizer: { type: 'clip-bpe', contextLength: 16 }, imageSize: 32 },
    model: { image: { type: 'vit', preset: 'tiny', patchSize: 8, depth: 2 }, text: { type: 'text-transformer', width: 64, depth: 2, heads: 2 }, embedDim: 32 },
    views: {
      clip: [{ type: 'random-resized-crop', scale: [0.5, 1] }, { type: 'normalize' }],
      ssl: [{ type: 'random-resized-crop', scale: [0.08, 1] }, { type: 'horizontal-flip' }, { type: 'normalize' }],
    },
    objectives: [{ type: 'clip' }, { type: 'simclr', temperature: 0.1, views: ['ssl', 'ssl'] }],
    optimizer: { lr: 1e-3, betas: [0.9, 0.98] },
    train: { steps: 10, batchSize: 8 },
    eval: [{ type: 'zero-shot', dataset: { type: 'mnist', split: 'test' } }],
    tracking: { type: 'mlflow' },
  };
}

/** One generated invalid spec: the files to write (the first is given to `validate`), the `--set`s, and the fault. */
export interface BadCase {
  category: string;
  files: Array<[name: string, content: Json]>;
  sets: string[];
  /** The JSON path the error must name. */
  path: string;
  /** What the message at that path must contain. */
  says: string;
}

/** `a.b[0].c` → ['a', 'b', 0, 'c'] (the simple paths these generators use). */
function parts(p: string): Array<string | number> {
  return [...p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}

/** The object at `p`, made (empty) where the valid spec has none (e.g. `schedule`). */
function containerAt(spec: SpecObject, p: Array<string | number>): Record<string | number, Json> {
  let cur = spec as Record<string | number, Json>;
  for (const k of p) cur = (cur[k] ??= {}) as Record<string | number, Json>;
  return cur;
}

/** A copy of the valid spec with the value at `p` set (or deleted when `value` is undefined). */
export function edited(p: string, value: Json, spec = validSpec()): SpecObject {
  const ps = parts(p);
  const parent = containerAt(spec, ps.slice(0, -1));
  if (value === undefined) delete parent[ps[ps.length - 1]];
  else parent[ps[ps.length - 1]] = value;
  return spec;
}

const join = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);
const oneFile = (category: string, spec: SpecObject, path: string, says: string): BadCase => ({ category, files: [['spec.json', spec]], sets: [], path, says });

/** Any JSON value, for type confusion. */
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.integer(), { maxKeys: 2 }),
);

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
const isType = (v: Json, t: JsonType): boolean =>
  t === 'integer' ? Number.isInteger(v) : t === 'array' ? Array.isArray(v) : t === 'object' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v === t;

/** Where the valid spec holds a value of a known JSON type (enums and plugin blocks included). */
const TYPED: Array<[string, JsonType]> = [
  ['name', 'string'], ['seed', 'integer'], ['backend', 'string'], ['outDir', 'string'], ['description', 'string'], ['baseDir', 'string'],
  ['data', 'object'], ['data.train', 'object'], ['data.train.split', 'string'], ['data.imageSize', 'integer'], ['data.workers', 'integer'],
  ['data.maxFailureFraction', 'number'], ['data.tokenizer.contextLength', 'integer'],
  ['model', 'object'], ['model.image', 'object'], ['model.image.patchSize', 'integer'], ['model.text.heads', 'integer'], ['model.embedDim', 'integer'],
  ['views', 'object'], ['views.ssl', 'array'], ['views.ssl[1]', 'object'], ['views.ssl[1].p', 'number'], ['views.clip[0].scale', 'array'],
  ['objectives', 'array'], ['objectives[1]', 'object'], ['objectives[1].temperature', 'number'], ['objectives[1].views', 'array'], ['objectives[0].weight', 'number'],
  ['optimizer', 'object'], ['optimizer.lr', 'number'], ['optimizer.betas', 'array'], ['optimizer.eps', 'number'],
  ['schedule', 'object'], ['schedule.warmupSteps', 'integer'], ['schedule.endLr', 'number'],
  ['train', 'object'], ['train.steps', 'integer'], ['train.batchSize', 'integer'], ['train.logEvery', 'integer'], ['train.bestMetric', 'string'],
  ['eval', 'array'], ['eval[0].dataset', 'object'], ['eval[0].batchSize', 'integer'], ['tracking', 'object'],
];

export const wrongTypes = fc
  .constantFrom(...TYPED)
  .chain(([path, type]) => anyJson.filter((v) => !isType(v, type)).map((v) => oneFile('wrong type', edited(path, v), path, 'must be')));

const below = (max: number) => fc.double({ max, noNaN: true, noDefaultInfinity: true });
const above = (min: number) => fc.double({ min, noNaN: true, noDefaultInfinity: true });
const intBelow = (max: number) => fc.integer({ min: -1e6, max });

/** Numbers outside their range, one path at a time. */
const OUT_OF_RANGE: Array<[string, fc.Arbitrary<number>]> = [
  ['seed', intBelow(-1)],
  ['data.imageSize', intBelow(7)],
  ['data.workers', intBelow(-1)],
  ['data.prefetchBatches', intBelow(0)],
  ['data.maxFailureFraction', fc.oneof(above(1.000001), below(-1e-9))],
  ['model.embedDim', intBelow(0)],
  ['model.image.patchSize', intBelow(0)],
  ['objectives[1].temperature', below(0)],
  ['objectives[0].weight', below(-1e-9)],
  ['optimizer.lr', below(0)],
  ['optimizer.weightDecay', below(-1e-9)],
  ['optimizer.betas[1]', above(1)],
  ['optimizer.eps', below(0)],
  ['schedule.warmupSteps', intBelow(-1)],
  ['schedule.endLr', below(-1e-9)],
  ['train.steps', intBelow(0)],
  ['train.batchSize', intBelow(0)],
  ['train.logEvery', intBelow(0)],
  ['views.ssl[1].p', fc.oneof(above(1.000001), below(-1e-9))],
  ['eval[0].batchSize', intBelow(0)],
];

export const outOfRange = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...OUT_OF_RANGE).chain(([path, bad]) => bad.map((v) => oneFile('out of range', edited(path, v), path, 'must be'))) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 2, max: 128 }))
      .filter(([batch, accumulate]) => batch % accumulate !== 0)
      .map(([batch, accumulate]) => oneFile('out of range', edited('train', { steps: 10, batchSize: batch, accumulate }), 'train.accumulate', `must divide train.batchSize (${batch})`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 64 })
      .chain((batch) => fc.integer({ min: batch + 1, max: 1024 }).map((chunk) => [batch, chunk] as const))
      .map(([batch, chunk]) => oneFile('out of range', edited('train', { steps: 10, batchSize: batch, gradCache: { chunkSize: chunk } }), 'train.gradCache.chunkSize', `must be <= train.batchSize (${batch})`)),
  },
);

/** Objects with a fixed set of keys (plugin blocks included). */
const OBJECTS = ['', 'data', 'model', 'optimizer', 'train', 'data.train', 'data.tokenizer', 'model.image', 'model.text', 'views.ssl[0]', 'objectives[0]', 'objectives[1]', 'eval[0]', 'eval[0].dataset', 'tracking'];

function valueAt(spec: SpecObject, p: string): Json {
  return p ? containerAt(spec, parts(p)) : spec;
}

/** Made-up keys, and names that every JS object inherits ("__proto__" would set a prototype if assigned). */
const strangeKey = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^zz[A-Za-z0-9]{1,8}$/) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf') },
);

export const unknownKeys = fc.tuple(fc.constantFrom(...OBJECTS), strangeKey, anyJson).map(([parent, key, v]) => {
  const spec = validSpec();
  // An own key, even "__proto__", so that JSON.stringify writes it into the file.
  Object.defineProperty(valueAt(spec, parent), key, { value: v, enumerable: true, writable: true, configurable: true });
  return oneFile('unknown key', spec, join(parent, key), 'unknown key');
});

type Edit = 'delete' | 'swap' | 'replace' | 'insert';

/** A one-edit typo of `word` (letters from `alphabet`). */
function typo(word: string, edit: Edit, at: number, letter: string): string {
  const i = at % word.length;
  if (edit === 'delete') return word.slice(0, i) + word.slice(i + 1);
  if (edit === 'insert') return word.slice(0, i) + letter + word.slice(i);
  if (edit === 'replace') return word.slice(0, i) + letter + word.slice(i + 1);
  const j = Math.min(i + 1, word.length - 1);
  return word.slice(0, Math.min(i, j)) + word[j] + word[i] + word.slice(j + 1);
}

const typoOf = (words: readonly string[], alphabet: string) =>
  fc.tuple(fc.constantFrom(...words), fc.constantFrom<Edit>('delete', 'swap', 'replace', 'insert'), fc.nat(), fc.constantFrom(...alphabet)).map(([w, e, at, l]) => ({ word: w, typo: typo(w, e, at, l) }));

/**
 * Misspelt keys: an option of a block renamed by one edit. `resolved` is the valid spec with
 * defaults filled (so defaulted options are misspelt too); `known` is every property name
 * the schema has anywhere, so that a typo is never another real key.
 */
export function misspeltKeys(resolved: SpecObject, known: ReadonlySet<string>): fc.Arbitrary<BadCase> {
  const candidates: Array<[string, string]> = OBJECTS.flatMap((parent) =>
    Object.keys(valueAt(resolved, parent) as SpecObject)
      .filter((k) => k.length >= 4 && k !== 'type')
      .map((k): [string, string] => [parent, k]),
  );
  return fc
    .tuple(fc.constantFrom(...candidates), fc.constantFrom<Edit>('delete', 'swap', 'replace', 'insert'), fc.nat(), fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'))
    .map(([[parent, key], edit, at, letter]) => ({ parent, key, bad: typo(key, edit, at, letter) }))
    .filter(({ bad }) => !known.has(bad) && /^[A-Za-z][A-Za-z0-9]*$/.test(bad))
    .map(({ parent, key, bad }) => {
      const spec = structuredClone(resolved);
      const block = valueAt(spec, parent) as SpecObject;
      block[bad] = block[key];
      delete block[key];
      return oneFile('misspelt key', spec, join(parent, bad), 'unknown key; did you mean "');
    });
}

/** Plugin slots of the valid spec and their kinds. */
const SLOTS: Array<[string, PluginKind]> = [
  ['data.train', 'dataset'], ['data.tokenizer', 'tokenizer'], ['model.image', 'imageEncoder'], ['model.text', 'textEncoder'],
  ['views.clip[0]', 'augmentation'], ['views.ssl[1]', 'augmentation'], ['objectives[0]', 'objective'], ['objectives[1]', 'objective'],
  ['eval[0]', 'evaluator'], ['eval[0].dataset', 'dataset'], ['tracking', 'tracker'],
];

/** Plugin types that no plugin has: made-up names, and one-edit typos of registered names (with a "did you mean"). */
export function unknownTypes(registry: PluginRegistry): fc.Arbitrary<BadCase> {
  const madeUp = fc.tuple(fc.constantFrom(...SLOTS), fc.stringMatching(/^zz[a-z0-9-]{1,8}$/)).map(([[slot, kind], name]) =>
    oneFile('unknown plugin type', edited(`${slot}.type`, name), `${slot}.type`, `unknown ${KIND_INFO[kind].label} "${name}"`),
  );
  const misspelt = fc
    .constantFrom(...SLOTS)
    .chain(([slot, kind]) => typoOf(registry.names(kind), 'abcdefghijklmnopqrstuvwxyz-').map((t) => ({ slot, kind, ...t })))
    .filter(({ kind, typo: bad }) => bad.length > 0 && !registry.has(kind, bad))
    .map(({ slot, kind, typo: bad }) => oneFile('misspelt plugin type', edited(`${slot}.type`, bad), `${slot}.type`, `unknown ${KIND_INFO[kind].label} "${bad}"; did you mean "`));
  return fc.oneof(madeUp, misspelt);
}

const viewName = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).filter((v) => v !== 'clip' && v !== 'ssl');

/** References that do not resolve: views named by an objective, the best metric's evaluator, datasets an evaluator needs. */
export const brokenReferences = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(fc.constantFrom(0, 1), viewName).map(([j, v]) => {
      const views = ['ssl', 'ssl'];
      views[j] = v;
      return oneFile('broken reference', edited('objectives[1].views', views), `objectives[1].views[${j}]`, `unknown view "${v}"`);
    }),
  },
  { weight: 2, arbitrary: viewName.map((v) => oneFile('broken reference', edited('objectives[0].views', [v]), 'objectives[0].views[0]', `unknown view "${v}"`)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[a-z][a-z-]{0,10}$/), fc.constantFrom('', '/top1', '/top5'))
      .filter(([prefix, suffix]) => !(prefix === 'zero-shot' && suffix))
      .map(([prefix, suffix]) => oneFile('broken reference', edited('train.bestMetric', prefix + suffix), 'train.bestMetric', 'must be "<evaluator>/<metric>"')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<[string, Json, string]>(
      ['eval[0].dataset', undefined, 'eval[0].dataset'],
      ['eval[0]', { type: 'linear-probe', dataset: { type: 'mnist', split: 'test' } }, 'eval[0].trainDataset'],
      ['eval[0]', { type: 'knn', trainDataset: { type: 'mnist', split: 'train' } }, 'eval[0].dataset'],
      ['data.tokenizer', undefined, 'data.tokenizer'],
    ).map(([at, value, path]) => oneFile('broken reference', edited(at, value), path, 'is required')),
  },
);

/** `extends` chains that loop back (a prefix of plain bases, then a cycle), or name a missing base. */
export const badExtends = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), { minLength: 1, maxLength: 7 }), fc.nat(), fc.boolean())
      .map(([names, cut, asList]) => {
        const prefix = cut % names.length; // names[prefix..] form the cycle
        const file = (n: string) => `${n}.json`;
        const files = names.map((n, i): [string, Json] => {
          const next = file(i + 1 < names.length ? names[i + 1] : names[prefix]);
          return [file(n), { seed: i, extends: asList ? [next] : `./${next}` }];
        });
        return { category: 'cyclic extends', files, sets: [], path: 'extends', says: 'cycle: ' } satisfies BadCase;
      }),
  },
  {
    weight: 1,
    arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/).map((n): BadCase => ({
      category: 'cyclic extends',
      files: [['spec.json', { ...validSpec(), extends: `./${n}-missing.json` }]],
      sets: [],
      path: 'extends',
      says: `base spec not found: ./${n}-missing.json`,
    })),
  },
);

const ident = fc.stringMatching(/^[a-z][a-zA-Z]{0,6}$/);
const setCase = (sets: string[], path: string, says: string): BadCase => ({ category: 'bad --set', files: [['spec.json', validSpec()]], sets, path, says });

/** `--set` assignments with a malformed path, no value, an index out of range, or a value the schema refuses. */
export const badSets = fc.oneof(
  fc
    .tuple(ident, ident, fc.nat({ max: 99 }))
    .chain(([a, b, n]) => fc.constantFrom(`${a}..${b}`, `.${a}`, `${a}.`, `${a}[${b}]`, `${a}[`, `${a}]`, `${a}[-${n}]`, `${a}[]`, `${a}[${n}]${b}`, `${a}.[${n}]`))
    .map((p) => setCase([`${p}=1`], '--set', `cannot parse path "${p}"`)),
  fc.oneof(ident, fc.constant('train.steps')).map((p) => setCase([p], '--set', `expected path=value, got "${p}"`)),
  fc.integer({ min: 2, max: 500 }).map((n) => setCase([`objectives[${n}].weight=1`], '--set', `objectives[${n}].weight: index [${n}] is out of range`)),
  fc.integer({ min: 3, max: 500 }).map((n) => setCase([`views.ssl[${n}].p=0.5`], '--set', `views.ssl[${n}].p: index [${n}] is out of range`)),
  ident.map((k) => setCase([`train.steps.${k}=1`], '--set', `train.steps.${k}: cannot set inside a number`)),
  fc
    .tuple(fc.constantFrom('', 'train.', 'objectives[1].', 'views.'), ident)
    .map(([parent, k]) => setCase([`${parent}__proto__.${k}=1`], '--set', `${parent}__proto__.${k}: "__proto__" is not a spec key`)),
  fc.stringMatching(/^[a-z]{1,8}$/).map((n) => setCase([`extends="./${n}.json"`], 'extends', 'can only be given in a spec file')),
  fc
    .stringMatching(/^[a-z]{1,8}$/)
    .filter((w) => !['true', 'false', 'null'].includes(w))
    .map((w) => setCase([`train.steps=${w}`], 'train.steps', `must be integer, got string "${w}"`)),
  below(0).map((t) => setCase([`objectives[1].temperature=${t}`], 'objectives[1].temperature', 'must be > 0')),
  fc
    .stringMatching(/^[a-z]{1,8}$/)
    .filter((w) => !['true', 'false', 'null'].includes(w) && !(BACKENDS as readonly string[]).includes(w))
    .map((w) => setCase([`backend=${w}`], 'backend', `must be one of "auto"`)),
);
