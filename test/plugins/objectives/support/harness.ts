import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { container } from 'tsyringe';
import type { Objective, ObjectiveInputs } from '../../../../core/contracts/objective';
import type { NamedVariable } from '../../../../core/contracts/trainable';
import { Logger } from '../../../../core/logger';
import type { AnyPluginDefinition, PluginContext } from '../../../../core/plugins/define';
import { withDefaults } from '../../../../core/plugins/options';
import { repoRoot } from '../../../helpers/paths';
import { assertFlatTensorCount } from '../../../helpers/memory';
import { decodeArray, loadTorchParams, readFixture, toSlipkitLayout, type EncodedArray } from '../../../nn/torch-fixture';

/** A fixture written by test/reference/objectives.py. */
export interface ObjectiveFixture {
  options: Record<string, unknown>;
  inputs: {
    features?: EncodedArray[];
    momentumFeatures?: EncodedArray[];
    imageEmbedding?: EncodedArray[];
    textEmbedding?: EncodedArray;
  };
  /** Online (trainable) parameters, PyTorch layout, by slipkit name. */
  params: Record<string, EncodedArray>;
  /** EMA targets, by the name of their online twin. */
  targetParams?: Record<string, EncodedArray>;
  /** The optimiser step the reference computed at (schedules such as DINO's teacher temperature); default 0. */
  step?: number;
  expected: {
    loss: number;
    metrics: Record<string, number>;
    /** `features.0`, `momentumFeatures.1`, `imageEmbedding.0`, `textEmbedding`. */
    inputGrads: Record<string, EncodedArray>;
    paramGrads: Record<string, EncodedArray>;
  };
}

export const readObjectiveFixture = (name: string): ObjectiveFixture => readFixture<ObjectiveFixture>('objectives', `${name}.json`);

/** A plugin context for building an objective outside an experiment (no image encoder registered). */
export function testContext(overrides: Partial<PluginContext> = {}): PluginContext {
  return {
    container: container.createChildContainer(),
    log: new Logger('silent'),
    seed: 0,
    baseDir: repoRoot,
    path: 'objectives[0]',
    settings: { imageSize: 32, embedDim: 16 },
    build: () => {
      throw new Error('objectives build no nested plugins');
    },
    ...overrides,
  };
}

/** ObjectiveInputs over fixed tensors, keyed like the fixtures' gradients (`features.0`, `textEmbedding`). */
export function fixedInputs(tensors: ReadonlyMap<string, tf.Tensor2D>, step = 0, totalSteps = 1): ObjectiveInputs {
  const get = (key: string): tf.Tensor2D => {
    const t = tensors.get(key);
    if (!t) throw new Error(`the objective read ${key}, which this test does not provide`);
    return t;
  };
  return {
    features: (i) => get(`features.${i}`),
    momentumFeatures: (i) => get(`momentumFeatures.${i}`),
    imageEmbedding: (i) => get(`imageEmbedding.${i}`),
    textEmbedding: () => get('textEmbedding'),
    tokens: () => {
      throw new Error('this test provides no token sequences');
    },
    images: () => {
      throw new Error('this test provides no images');
    },
    step,
    totalSteps,
  };
}

/** The fixture's inputs as variables (so gradients can be taken with respect to them), by key. */
export function inputVariables(f: ObjectiveFixture): Map<string, tf.Variable<tf.Rank.R2>> {
  const out = new Map<string, tf.Variable<tf.Rank.R2>>();
  const add = (key: string, a: EncodedArray) => out.set(key, tf.variable(tf.tensor2d(decodeArray(a), a.shape as [number, number])) as tf.Variable<tf.Rank.R2>);
  (['features', 'momentumFeatures', 'imageEmbedding'] as const).forEach((kind) => f.inputs[kind]?.forEach((a, i) => add(`${kind}.${i}`, a)));
  if (f.inputs.textEmbedding) add('textEmbedding', f.inputs.textEmbedding);
  return out;
}

/** Assigns the fixture's target parameters to the objective's EMA targets, matched through the online variable's name. */
export function loadTargets(objective: Objective, targets: Record<string, EncodedArray>): void {
  const names = new Map(objective.variables().map((v) => [v.variable, v]));
  const pairs = objective.momentumPairs?.() ?? [];
  assert.equal(pairs.length, Object.keys(targets).length, 'target parameter count');
  for (const pair of pairs) {
    const online = names.get(pair.online);
    assert.ok(online, 'every momentum pair pairs a trainable variable');
    const value = toSlipkitLayout(targets[online.name], online.transposeForTorch === true);
    pair.target.assign(value);
    value.dispose();
  }
}

/**
 * Agreement with PyTorch float32: |actual − expected| ≤ RTOL·|expected| + ATOL·scale, where
 * `scale` is the largest |entry| among all of the fixture's gradients (|loss| for the loss,
 * |metric| for a metric). The absolute part admits float32 rounding on entries that are
 * near zero through cancellation, whose relative error is meaningless: e.g. the gradient of
 * a bias followed by BatchNorm is exactly 0 in real arithmetic and ~1e-8 in float32, in
 * both frameworks. Measured (2025-11, batch 8, widths 16-32): PyTorch float32 itself
 * departs from a float64 run by up to 0.6 of RTOL·|e| + 1e-6·scale (MoCo v3, the deepest
 * heads), tfjs from PyTorch float32 by up to 1.1 of it; hence ATOL = 2e-6.
 */
export const RTOL = 1e-5;
export const ATOL = 2e-6;

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, scale: number): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const allowed = RTOL * Math.abs(expected[i]) + ATOL * scale;
    if (!(err <= allowed)) assert.fail(`${what}[${i}]: ${actual[i]} vs PyTorch ${expected[i]} (|diff| ${err.toExponential(2)} > ${allowed.toExponential(2)})`);
  }
}

function maxAbs(arrays: ArrayLike<number>[]): number {
  let m = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Builds the objective from the fixture's options, loads its parameters, and checks the
 * loss, every metric and the gradients with respect to every input and parameter against
 * PyTorch. Inputs that the reference treats as constants (momentum features) must get a
 * zero gradient, or none.
 */
export function checkAgainstReference(definition: AnyPluginDefinition, fixture = definition.name, hooks: ReferenceHooks = {}): void {
  const name = fixture;
  const f = readObjectiveFixture(name);
  const objective = buildObjective(definition, f.options);
  const params = objective.variables();
  loadTorchParams(params, f.params);
  if (f.targetParams) loadTargets(objective, f.targetParams);
  hooks.before?.(objective);
  const inputs = inputVariables(f);
  const before = tf.memory().numTensors;

  const metrics: Record<string, tf.Scalar> = {};
  const xs: tf.Variable[] = [...inputs.values(), ...params.map((p) => p.variable)];
  const { value, grads } = tf.variableGrads(() => {
    const out = objective.compute(fixedInputs(inputs, f.step ?? 0, Math.max(1, (f.step ?? 0) + 1)));
    for (const [k, v] of Object.entries(out.metrics)) metrics[k] = tf.keep(v);
    return out.loss;
  }, xs);

  const gradScale = maxAbs([...Object.values(f.expected.inputGrads), ...Object.values(f.expected.paramGrads)].map(decodeArray));
  const lossScale = Math.abs(f.expected.loss);
  assertClose([value.dataSync()[0]], [f.expected.loss], `${name} loss`, lossScale);
  assert.deepEqual(Object.keys(metrics).sort(), Object.keys(f.expected.metrics).sort(), `${name} metric names`);
  for (const [k, v] of Object.entries(metrics)) {
    assert.deepEqual(v.shape, [], `${name} metric ${k} is a scalar`);
    assertClose(v.dataSync(), [f.expected.metrics[k]], `${name} metric ${k}`, Math.abs(f.expected.metrics[k]));
  }
  for (const [key, variable] of inputs) {
    const g = grads[variable.name];
    const reference = f.expected.inputGrads[key];
    if (reference) {
      assert.ok(g, `${name}: no gradient for input ${key}`);
      assertClose(g.dataSync(), decodeArray(reference), `${name} ∂loss/∂${key}`, gradScale);
    } else if (g) {
      assert.ok(g.dataSync().every((x) => x === 0), `${name}: ${key} is a constant in the reference but gets a gradient`);
    }
  }
  const named = new Map<string, NamedVariable>(params.map((p) => [p.name, p]));
  assert.deepEqual([...named.keys()].sort(), Object.keys(f.expected.paramGrads).sort(), `${name} parameter names`);
  for (const [pname, reference] of Object.entries(f.expected.paramGrads)) {
    const p = named.get(pname)!;
    const g = grads[p.variable.name];
    assert.ok(g, `${name}: no gradient for ${pname}`);
    const expected = toSlipkitLayout(reference, p.transposeForTorch === true);
    assertClose(g.dataSync(), expected.dataSync(), `${name} ∂loss/∂${pname}`, gradScale);
    expected.dispose();
  }

  value.dispose();
  tf.dispose(grads);
  tf.dispose(Object.values(metrics));
  assert.equal(tf.memory().numTensors, before, `${name}: compute leaked tensors`);
  hooks.after?.(objective);
  tf.dispose([...inputs.values()]);
  disposeObjective(objective);
}

/** Steps around checkAgainstReference's compute: set the objective's state first (a center, a queue), check it after. */
export interface ReferenceHooks {
  before?(objective: Objective): void;
  after?(objective: Objective): void;
}

/** An objective built through its plugin definition's factory, as the engine builds it. */
export function buildObjective(definition: AnyPluginDefinition, options: Record<string, unknown>, ctx: PluginContext = testContext()): Objective {
  assert.equal(definition.kind, 'objective');
  assert.ok(definition.create, `${definition.name} has a create factory`);
  // As the plugin builder does: the schema's defaults filled in first.
  return definition.create(withDefaults(definition.schema, options), ctx) as Objective;
}

/** Seeded N(0, 1) inputs for every key, [batch, width]. */
export function randomInputs(keys: readonly string[], batch: number, width: number, seed = 1): Map<string, tf.Tensor2D> {
  return new Map(keys.map((k, i) => [k, tf.randomNormal([batch, width], 0, 1, 'float32', seed + i) as tf.Tensor2D]));
}

/**
 * Trains the objective's own variables for `steps` steps as the engine does (variableGrads,
 * an SGD update, the EMA update of its momentum pairs, afterStep) and asserts that the
 * live tensor count stays flat. Returns the losses.
 */
export async function assertFlatOverTraining(objective: Objective, inputs: ObjectiveInputs, steps = 20, lr = 0.05): Promise<number[]> {
  const vars = objective.variables().map((v) => v.variable);
  const losses: number[] = [];
  await assertFlatTensorCount(steps, () => {
    const metrics: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const out = objective.compute(inputs);
      metrics.push(...Object.values(out.metrics).map((m) => tf.keep(m)));
      return out.loss;
    }, vars);
    tf.tidy(() => {
      for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
      for (const { online, target } of objective.momentumPairs?.() ?? []) target.assign(tf.add(tf.mul(target, 0.99), tf.mul(online, 0.01)));
    });
    objective.afterStep?.();
    losses.push(value.dataSync()[0]);
    value.dispose();
    tf.dispose(grads);
    tf.dispose(metrics);
  });
  return losses;
}

/** The inputs of a two-view objective with momentum encoders, keyed for randomInputs. */
export const MOMENTUM_TWO_VIEW_KEYS = ['features.0', 'features.1', 'momentumFeatures.0', 'momentumFeatures.1'] as const;

/**
 * Builds the objective from `options`, trains it with assertFlatOverTraining for 20 steps
 * on seeded random inputs (batch 8, width 16: `options.inputDim` must be 16 where set),
 * frees the inputs and the objective, and returns the losses.
 */
export async function trainOnRandomInputs(
  definition: AnyPluginDefinition,
  options: Record<string, unknown>,
  keys: readonly string[],
  lr?: number,
): Promise<number[]> {
  const objective = buildObjective(definition, options);
  const inputs = randomInputs(keys, 8, 16);
  try {
    return await assertFlatOverTraining(objective, fixedInputs(inputs), 20, lr);
  } finally {
    inputs.forEach((t) => t.dispose());
    disposeObjective(objective);
  }
}

export function assertLossDecreased(losses: readonly number[]): void {
  assert.ok(losses[losses.length - 1] < losses[0], `loss ${losses[0]} → ${losses[losses.length - 1]}`);
}

/**
 * An objective with an EMA target projector (BYOL, MoCo v3): it trains exactly its
 * projector and predictor, pairs every projector variable with a target outside
 * variables(), and keeps the EMA contract (checkMomentumWiring).
 */
export function checkTargetProjectorPairs(objective: Objective): void {
  const names = objective.variables().map((v) => v.name);
  assert.ok(names.every((n) => n.startsWith('projector.') || n.startsWith('predictor.')), names.join());
  assert.equal(objective.momentumPairs!().length, names.filter((n) => n.startsWith('projector.')).length);
  checkMomentumWiring(objective);
}

/** Frees the objective's trainable variables and EMA targets. */
export function disposeObjective(objective: Objective): void {
  for (const v of objective.variables()) v.variable.dispose();
  for (const p of objective.momentumPairs?.() ?? []) p.target.dispose();
  for (const v of objective.state?.() ?? []) v.variable.dispose();
}

/** The objective's state variable `name` (see Objective.state). */
export function stateVariable(objective: Objective, name: string): tf.Variable {
  const v = (objective.state?.() ?? []).find((s) => s.name === name);
  assert.ok(v, `${name} is declared in state()`);
  return v.variable;
}

/**
 * The EMA contract: targets are excluded from variables() and not trainable, every online
 * variable of a pair is trainable, targets start equal to their online twins, and an EMA
 * update moves a target toward its online twin without touching anything else.
 */
export function checkMomentumWiring(objective: Objective): void {
  const trainable = new Set(objective.variables().map((v) => v.variable));
  const pairs = objective.momentumPairs?.() ?? [];
  assert.ok(pairs.length > 0, 'declares momentum pairs');
  assert.ok(objective.momentum, 'declares a momentum schedule (so the engine keeps an EMA image encoder)');
  for (const { online, target } of pairs) {
    assert.ok(trainable.has(online), 'online side is trained');
    assert.ok(!trainable.has(target), 'target is not in variables()');
    assert.equal(target.trainable, false, 'target variable is not trainable');
    assert.notEqual(target, online);
    assert.deepEqual(target.shape, online.shape);
    assert.deepEqual(Array.from(target.dataSync()), Array.from(online.dataSync()), 'target starts as a copy');
  }
  // a step on the online weights must not move the target (distinct storage)
  const { online, target } = pairs[0];
  const before = Array.from(target.dataSync());
  tf.tidy(() => online.assign(tf.add(online, 1)));
  assert.deepEqual(Array.from(target.dataSync()), before, 'updating the online weights leaves the target alone');
}
