import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { makeCliContext, type CliContext } from '../../../core/cli/context';
import { main } from '../../../core/cli/main';
import { SpecError, type SpecIssue } from '../../../core/errors';
import { composeExperimentSchema } from '../../../core/spec/compose-schema';
import { applyOverrides } from '../../../core/spec/overrides';
import { validatorFor } from '../../../core/spec/validate';
import { builtinCommands, builtinPlugins } from '../../../plugins/index';
import { repoRoot } from '../../helpers/paths';
import { builtinRegistry, captureStream, tempDir } from '../../helpers/runs';
import { badExtends, badSets, brokenReferences, misspeltKeys, outOfRange, unknownKeys, unknownTypes, validSpec, wrongTypes, type BadCase } from './helpers/bad-specs';

/** [description, --set style edits (or a function), expected path, expected message] */
type Case = [string, string[] | ((s: Record<string, unknown>) => void), string, string];

const cases: Case[] = [
  // top level
  ['missing name', (s) => delete s.name, 'name', 'is required'],
  ['name with a space', ['name="my run"'], 'name', 'must match ^[A-Za-z0-9][\\w.-]*$, got "my run"'],
  ['negative seed', ['seed=-1'], 'seed', 'must be >= 0, got -1'],
  ['fractional seed', ['seed=1.5'], 'seed', 'must be integer, got 1.5'],
  ['unknown backend', ['backend=gpu'], 'backend', 'must be one of "auto", "tensorflow", "webgpu", "wasm", "cpu", got "gpu"; did you mean "cpu"?'],
  ['misspelt top-level key', ['optimiser={"lr":0.1}'], 'optimiser', 'unknown key; did you mean "optimizer"?'],
  ['description not a string', ['description=5'], 'description', 'must be string, got 5'],
  ['empty outDir', ['outDir=""'], 'outDir', 'must be at least 1 character(s) long, got ""'],
  ['plugins not strings', ['plugins=[1]'], 'plugins[0]', 'must be string, got 1'],
  // data
  ['missing data', (s) => delete s.data, 'data', 'is required'],
  ['missing training dataset', ['data.train=null'], 'data.train', 'is required'],
  ['tiny imageSize', ['data.imageSize=4'], 'data.imageSize', 'must be >= 8, got 4'],
  ['negative workers', ['data.workers=-1'], 'data.workers', 'must be >= 0, got -1'],
  ['failure fraction above 1', ['data.maxFailureFraction=2'], 'data.maxFailureFraction', 'must be <= 1, got 2'],
  ['zero prefetch', ['data.prefetchBatches=0'], 'data.prefetchBatches', 'must be >= 1, got 0'],
  ['unknown dataset', ['data.train.type=mnits'], 'data.train.type', 'unknown dataset "mnits"; did you mean "mnist"?'],
  ['dataset without type', ['data.train={"split":"train"}'], 'data.train.type', 'is required'],
  ['unknown dataset option', ['data.train.splt="test"'], 'data.train.splt', 'unknown key; did you mean "split"?'],
  ['bad mnist split', ['data.train.split="val"'], 'data.train.split', 'must be one of "train", "test", got "val"'],
  ['unknown tokenizer', ['data.tokenizer.type=clip-bep'], 'data.tokenizer.type', 'unknown tokenizer "clip-bep"; did you mean "clip-bpe"?'],
  ['text tower without tokenizer', ['data.tokenizer=null'], 'data.tokenizer', 'is required when model.text is set (captions must be tokenised)'],
  // model
  ['missing image encoder', ['model.image=null'], 'model.image', 'is required'],
  ['embedDim as a string', ['model.embedDim="256"'], 'model.embedDim', 'must be integer, got string "256"'],
  ['unknown image encoder', ['model.image.type=vti'], 'model.image.type', 'unknown image encoder "vti"; did you mean "vit"?'],
  ['unknown ViT preset', ['model.image.preset=huge'], 'model.image.preset', 'must be one of "tiny", "small", "base", "large", got "huge"'],
  ['zero patch size', ['model.image.patchSize=0'], 'model.image.patchSize', 'must be >= 1, got 0'],
  ['unknown text encoder', ['model.text.type=transformer'], 'model.text.type', 'unknown text encoder "transformer"; did you mean "text-transformer"?'],
  ['text heads as a string', ['model.text.heads="two"'], 'model.text.heads', 'must be integer, got string "two"'],
  // views
  ['bad view name', ['views.1bad=[]'], 'views["1bad"]', 'invalid name: must match ^[A-Za-z][\\w-]*$'],
  ['view not a list', ['views.ssl={"type":"normalize"}'], 'views.ssl', 'must be array, got an object'],
  ['unknown augmentation', ['views.ssl[1].type=horizontal-flp'], 'views.ssl[1].type', 'unknown augmentation "horizontal-flp"; did you mean "horizontal-flip"?'],
  ['flip probability above 1', ['views.ssl[1].p=1.5'], 'views.ssl[1].p', 'must be <= 1, got 1.5'],
  // objectives
  ['no objectives', ['objectives=[]'], 'objectives', 'must have at least 1 item(s), got 0'],
  ['objectives not a list', ['objectives={"type":"clip"}'], 'objectives', 'must be array, got an object'],
  ['unknown objective', ['objectives[1].type=simclrr'], 'objectives[1].type', 'unknown objective "simclrr"; did you mean "simclr"?'],
  ['objective without type', ['objectives[0]={}'], 'objectives[0].type', 'is required (one of "barlow-twins", "byol", "clip", "dcl", "dclw", "dino", "mae", "mocov3", "nnclr", "simclr", "simsiam", "swav", "vicreg")'],
  ['negative temperature', ['objectives[1].temperature=-0.1'], 'objectives[1].temperature', 'must be > 0, got -0.1'],
  ['zero temperature', ['objectives[1].temperature=0'], 'objectives[1].temperature', 'must be > 0, got 0'],
  ['negative weight', ['objectives[0].weight=-1'], 'objectives[0].weight', 'must be >= 0, got -1'],
  ['misspelt objective option', ['objectives[1].tempreature=0.2'], 'objectives[1].tempreature', 'unknown key; did you mean "temperature"?'],
  ['objective view not defined', ['objectives[1].views=["sll","ssl"]'], 'objectives[1].views[0]', 'unknown view "sll"; did you mean "ssl"? (defined views: clip, ssl)'],
  // optimisation
  ['zero learning rate', ['optimizer.lr=0'], 'optimizer.lr', 'must be > 0, got 0'],
  ['one beta', ['optimizer.betas=[0.9]'], 'optimizer.betas', 'must have at least 2 item(s), got 1'],
  ['beta of 1', ['optimizer.betas=[0.9,1]'], 'optimizer.betas[1]', 'must be < 1, got 1'],
  ['unsupported optimizer', ['optimizer.type=sgd'], 'optimizer.type', 'must be "adamw", got "sgd"'],
  ['negative weight decay', ['optimizer.weightDecay=-0.1'], 'optimizer.weightDecay', 'must be >= 0, got -0.1'],
  ['unknown schedule', ['schedule.type=linear'], 'schedule.type', 'must be one of "cosine", "constant", got "linear"'],
  ['negative warmup', ['schedule.warmupSteps=-5'], 'schedule.warmupSteps', 'must be >= 0, got -5'],
  // train
  ['zero steps', ['train.steps=0'], 'train.steps', 'must be >= 1, got 0'],
  ['missing batch size', ['train.batchSize=null'], 'train.batchSize', 'is required'],
  ['accumulation that does not divide the batch', ['train.accumulate=3'], 'train.accumulate', 'must divide train.batchSize (8), got 3'],
  ['GradCache chunk larger than the batch', ['train.gradCache={"chunkSize":16}'], 'train.gradCache.chunkSize', 'must be <= train.batchSize (8), got 16'],
  ['GradCache without chunk size', ['train.gradCache={}'], 'train.gradCache.chunkSize', 'is required'],
  ['unknown train key', ['train.epochs=3'], 'train.epochs', 'unknown key'],
  // eval and tracking
  ['eval not a list', ['eval={"type":"zero-shot"}'], 'eval', 'must be array, got an object'],
  ['unknown evaluator', ['eval[0].type=zero-shoot'], 'eval[0].type', 'unknown evaluator "zero-shoot"; did you mean "zero-shot"?'],
  ['unknown dataset inside an evaluator', ['eval[0].dataset.type=fashion'], 'eval[0].dataset.type', 'unknown dataset "fashion"; did you mean "fashion-mnist"?'],
  ['unknown tracker', ['tracking.type=mlflw'], 'tracking.type', 'unknown tracker "mlflw"; did you mean "mlflow"?'],
];

describe('invalid specs: every error names the JSON path, what was expected and what was found', () => {
  const validator = validatorFor(builtinRegistry());

  it('the base spec of the table is valid', () => {
    assert.deepEqual(validator.issues(validSpec()), []);
  });

  for (const [what, edit, path, message] of cases) {
    it(`${what}: ${path}: ${message}`, () => {
      const spec = validSpec();
      if (typeof edit === 'function') edit(spec);
      else applyOverrides(spec, edit);
      const issues = validator.issues(spec);
      assert.ok(
        issues.some((i: SpecIssue) => i.path === path && i.message === message),
        `expected "${path}: ${message}", got:\n  ${issues.map((i) => `${i.path}: ${i.message}`).join('\n  ') || '(no issues)'}`,
      );
      assert.throws(() => validator.validate(spec, 'table.json'), (e: unknown) => e instanceof SpecError && e.message.includes(`${path}: ${message}`));
    });
  }

  it(`has at least 40 cases (${cases.length})`, () => assert.ok(cases.length >= 40));
});

/** Every property name the composed schema knows, anywhere (so a generated typo is never a real key). */
function propertyNames(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => propertyNames(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && v && typeof v === 'object') Object.keys(v).forEach((name) => out.add(name));
      propertyNames(v, out);
    }
  }
  return out;
}

/** The issue lines of a CLI error (`error: invalid spec <source>: <path>: <message>`, or one issue a line). */
function issueLines(stderr: string, source: string): string[] {
  let rest = stderr.replace(/\n$/, '');
  assert.ok(rest.startsWith('error: invalid spec'), `not a spec error: ${stderr}`);
  rest = rest.slice('error: invalid spec'.length);
  if (rest.startsWith(` ${source}:`)) rest = rest.slice(source.length + 2);
  else if (rest.startsWith(':')) rest = rest.slice(1);
  else assert.fail(`the error names neither ${source} nor nothing: ${stderr}`);
  return rest.startsWith('\n') ? rest.slice(1).split('\n').map((l) => l.replace(/^ {2}/, '')) : [rest.replace(/^ /, '')];
}

/*
 * Generated invalid specs (fast-check): each breaks one thing in a valid spec and goes
 * through the CLI's own entry, main(argv) → exit code, in process: `slipkit validate`
 * must exit 2 with a message that names the JSON path of the fault. One registry serves
 * every case, so the composed schema is compiled once. A few cases are then replayed
 * through `node bin/slipkit.js validate` to show the in-process path is the real one.
 */
describe('generated invalid specs: exit code 2 and the JSON path of the fault (property-based)', function () {
  this.timeout(60000);
  const registry = builtinRegistry();
  const resolved = validatorFor(registry).validate(validSpec(), 'valid') as unknown as Record<string, unknown>;
  const known = propertyNames(composeExperimentSchema(registry));
  let dir: string;
  let tried = 0;
  const replays: Array<{ args: string[]; code: number; err: string }> = [];

  before(() => (dir = tempDir('badspecs')));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes the case's files into a fresh folder and runs `slipkit validate` in process. */
  async function check(c: BadCase): Promise<void> {
    tried++;
    const caseDir = path.join(dir, String(tried));
    fs.mkdirSync(caseDir);
    for (const [name, content] of c.files) fs.writeFileSync(path.join(caseDir, name), JSON.stringify(content));
    const file = path.join(caseDir, c.files[0][0]);
    const args = ['validate', file, ...c.sets.flatMap((s) => ['--set', s])];
    const out = captureStream();
    const err = captureStream();
    const ctx: CliContext = { ...makeCliContext(builtinPlugins, out, err, builtinCommands), registry: () => registry };
    const code = await main(['node', 'slipkit', ...args], builtinPlugins, ctx);
    const where = `${c.category}: ${args.slice(1).join(' ')}\n${JSON.stringify(c.files)}\n${err.text()}`;
    assert.equal(code, 2, where);
    assert.equal(out.text(), '', where);
    const lines = issueLines(err.text(), path.relative(process.cwd(), file));
    assert.ok(
      lines.some((l) => l.startsWith(`${c.path}: `) && l.includes(c.says)),
      `expected "${c.path}: …${c.says}…" in\n  ${lines.join('\n  ')}\n(${where})`,
    );
    if (replays.length < 6 && !replays.some((r) => r.args[0] === c.category)) replays.push({ args: [c.category, ...args], code, err: err.text() });
  }

  const properties: Array<[string, fc.Arbitrary<BadCase>, number]> = [
    ['wrong types', wrongTypes, 100],
    ['numbers out of range (temperature <= 0, steps < 1, accumulate not dividing batchSize, ...)', outOfRange, 90],
    ['unknown keys', unknownKeys, 50],
    ['misspelt keys, with "did you mean"', misspeltKeys(resolved, known), 50],
    ['unknown plugin types, with "did you mean" for a typo', unknownTypes(registry), 80],
    ['broken references (views, the best metric, datasets an evaluator needs)', brokenReferences, 50],
    ['cyclic or missing extends (generated files)', badExtends, 40],
    ['bad --set paths and values', badSets, 60],
  ];
  const total = properties.reduce((n, [, , runs]) => n + runs, 0);

  for (const [what, arbitrary, numRuns] of properties) {
    it(`${what}: ${numRuns} generated specs`, async () => {
      await fc.assert(fc.asyncProperty(arbitrary, check), { numRuns });
    });
  }

  it(`tried ${total} generated invalid specs in all (at least 500)`, () => {
    assert.ok(tried >= 500 && tried >= total, `tried ${tried}`);
  });

  it('the in-process entry answers exactly as `node bin/slipkit.js validate` does (a case from each of 6 categories)', () => {
    assert.equal(replays.length, 6);
    for (const { args, code, err } of replays) {
      const child = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'slipkit.js'), ...args.slice(1)], { cwd: process.cwd(), encoding: 'utf8', timeout: 30000 });
      assert.equal(child.status, code, `${args.join(' ')}\n${child.stderr}`);
      assert.equal(child.stderr, err, args.join(' '));
      assert.equal(child.stdout, '');
    }
  });
});
