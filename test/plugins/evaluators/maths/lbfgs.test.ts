import { strict as assert } from 'node:assert';
import { minimizeLbfgs } from '../../../../plugins/evaluators/maths/lbfgs';

describe('minimizeLbfgs', () => {
  it('finds the minimum (1, 1) of the Rosenbrock function', () => {
    const rosenbrock = (x: Float64Array) => {
      const [a, b] = x;
      return {
        value: (1 - a) ** 2 + 100 * (b - a * a) ** 2,
        gradient: Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)),
      };
    };
    const result = minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIterations: 500, gradientTolerance: 1e-9, relativeDecreaseTolerance: 0 });
    assert.equal(result.reason, 'gradient');
    assert.ok(Math.abs(result.x[0] - 1) < 1e-6 && Math.abs(result.x[1] - 1) < 1e-6, `${result.x}`);
  });

  it('solves an ill-conditioned quadratic: x* = A⁻¹b', () => {
    const diag = [1, 10, 100, 1000];
    const b = [1, -2, 3, -4];
    const quadratic = (x: Float64Array) => ({
      value: x.reduce((s, xi, i) => s + 0.5 * diag[i] * xi * xi - b[i] * xi, 0),
      gradient: x.map((xi, i) => diag[i] * xi - b[i]),
    });
    const result = minimizeLbfgs(quadratic, new Float64Array(4), { maxIterations: 200, gradientTolerance: 1e-10, relativeDecreaseTolerance: 0 });
    result.x.forEach((xi, i) => assert.ok(Math.abs(xi - b[i] / diag[i]) < 1e-9));
  });

  it('stops when a step lowers the value by less than the relative tolerance', () => {
    // From 0.5 the first (unit-length) step lands on 0: the value drops by 0.0625 of 1.0625.
    const quartic = (x: Float64Array) => ({ value: 1 + x[0] ** 4, gradient: Float64Array.of(4 * x[0] ** 3) });
    const result = minimizeLbfgs(quartic, Float64Array.of(0.5), { maxIterations: 100, gradientTolerance: 0, relativeDecreaseTolerance: 0.1 });
    assert.equal(result.reason, 'decrease');
  });

  it('stops at maxIterations', () => {
    const slope = (x: Float64Array) => ({ value: x[0] ** 4, gradient: Float64Array.of(4 * x[0] ** 3) });
    assert.equal(minimizeLbfgs(slope, Float64Array.of(3), { maxIterations: 2, gradientTolerance: 0 }).reason, 'max-iterations');
  });
});
