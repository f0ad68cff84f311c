import { strict as assert } from 'node:assert';
import { type Evaluation, minimizeLbfgs, type Objective } from '../../../../plugins/evaluators/maths/lbfgs';

/** An objective computed on the host, resolved as the asynchronous interface asks. */
const resolved = (f: (x: Float64Array) => Evaluation): Objective => async (x) => f(x);

const rosenbrock = (x: Float64Array): Evaluation => {
  const [a, b] = x;
  return {
    value: (1 - a) ** 2 + 100 * (b - a * a) ** 2,
    gradient: Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)),
  };
};

describe('minimizeLbfgs', () => {
  it('finds the minimum (1, 1) of the Rosenbrock function', async () => {
    const result = await minimizeLbfgs(resolved(rosenbrock), Float64Array.of(-1.2, 1), { maxIterations: 500, gradientTolerance: 1e-9, relativeDecreaseTolerance: 0 });
    assert.equal(result.reason, 'gradient');
    assert.ok(Math.abs(result.x[0] - 1) < 1e-6 && Math.abs(result.x[1] - 1) < 1e-6, `${result.x}`);
  });

  it('takes the iterates of the synchronous version it replaced: 46 iterations, 56 evaluations on Rosenbrock', async () => {
    // Recorded from the synchronous minimizeLbfgs (before the objective became asynchronous):
    // awaiting each evaluation must not change the order of the arithmetic or the line search.
    let evaluations = 0;
    const counted = resolved((x) => {
      evaluations++;
      return rosenbrock(x);
    });
    const result = await minimizeLbfgs(counted, Float64Array.of(-1.2, 1), { maxIterations: 500, gradientTolerance: 1e-9, relativeDecreaseTolerance: 0 });
    assert.equal(result.iterations, 46);
    assert.equal(evaluations, 56);
  });

  it('solves an ill-conditioned quadratic: x* = A⁻¹b', async () => {
    const diag = [1, 10, 100, 1000];
    const b = [1, -2, 3, -4];
    const quadratic = resolved((x) => ({
      value: x.reduce((s, xi, i) => s + 0.5 * diag[i] * xi * xi - b[i] * xi, 0),
      gradient: x.map((xi, i) => diag[i] * xi - b[i]),
    }));
    const result = await minimizeLbfgs(quadratic, new Float64Array(4), { maxIterations: 200, gradientTolerance: 1e-10, relativeDecreaseTolerance: 0 });
    result.x.forEach((xi, i) => assert.ok(Math.abs(xi - b[i] / diag[i]) < 1e-9));
  });

  it('stops when a step lowers the value by less than the relative tolerance', async () => {
    // From 0.5 the first (unit-length) step lands on 0: the value drops by 0.0625 of 1.0625.
    const quartic = resolved((x) => ({ value: 1 + x[0] ** 4, gradient: Float64Array.of(4 * x[0] ** 3) }));
    const result = await minimizeLbfgs(quartic, Float64Array.of(0.5), { maxIterations: 100, gradientTolerance: 0, relativeDecreaseTolerance: 0.1 });
    assert.equal(result.reason, 'decrease');
  });

  it('stops at maxIterations', async () => {
    const slope = resolved((x) => ({ value: x[0] ** 4, gradient: Float64Array.of(4 * x[0] ** 3) }));
    assert.equal((await minimizeLbfgs(slope, Float64Array.of(3), { maxIterations: 2, gradientTolerance: 0 })).reason, 'max-iterations');
  });

  it('rejects when the objective does', async () => {
    const failing: Objective = async () => {
      throw new Error('device lost');
    };
    await assert.rejects(minimizeLbfgs(failing, Float64Array.of(0), { maxIterations: 5, gradientTolerance: 0 }), /device lost/);
  });
});
