/**
 * Limited-memory BFGS for smooth, unconstrained minimisation of small-to-medium convex
 * problems (the linear probe). The iterate and the curvature history live in Float64
 * arrays; only the objective (which may run on tensors) is supplied by the caller.
 */
export interface Evaluation {
  value: number;
  gradient: Float64Array;
}

/**
 * The objective resolves asynchronously so that it can read its value and gradient back from
 * a device with `await tensor.data()`: tfjs-backend-webgpu cannot read synchronously in Node.
 */
export interface Objective {
  (x: Float64Array): Promise<Evaluation>;
}

export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when the largest absolute gradient entry falls below this. */
  gradientTolerance: number;
  /** Stop when an accepted step lowers the value by less than this, relative to |value|. */
  relativeDecreaseTolerance?: number;
  /** Curvature pairs kept. */
  history?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  /** Why it stopped. */
  reason: 'gradient' | 'decrease' | 'max-iterations' | 'line-search';
}

const ARMIJO_C1 = 1e-4;
const MAX_BACKTRACKS = 40;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Two-loop recursion: the quasi-Newton direction −H·g from the stored pairs. */
function direction(gradient: Float64Array, s: Float64Array[], y: Float64Array[]): Float64Array {
  const q = Float64Array.from(gradient);
  const alpha = new Array<number>(s.length);
  for (let i = s.length - 1; i >= 0; i--) {
    alpha[i] = dot(s[i], q) / dot(y[i], s[i]);
    for (let j = 0; j < q.length; j++) q[j] -= alpha[i] * y[i][j];
  }
  if (s.length > 0) {
    const last = s.length - 1;
    const gamma = dot(s[last], y[last]) / dot(y[last], y[last]);
    for (let j = 0; j < q.length; j++) q[j] *= gamma;
  }
  for (let i = 0; i < s.length; i++) {
    const beta = dot(y[i], q) / dot(y[i], s[i]);
    for (let j = 0; j < q.length; j++) q[j] += s[i][j] * (alpha[i] - beta);
  }
  for (let j = 0; j < q.length; j++) q[j] = -q[j];
  return q;
}

/** Evaluates the objective strictly in sequence: each point depends on the previous value. */
export async function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): Promise<LbfgsResult> {
  const history = options.history ?? 10;
  const relTol = options.relativeDecreaseTolerance ?? 1e-10;
  let x: Float64Array = Float64Array.from(x0);
  let { value, gradient }: Evaluation = await objective(x);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  for (let iteration = 0; iteration < options.maxIterations; iteration++) {
    if (maxAbs(gradient) <= options.gradientTolerance) return { x, value, iterations: iteration, reason: 'gradient' };
    let d = direction(gradient, s, y);
    let slope = dot(gradient, d);
    if (!(slope < 0)) {
      // Not a descent direction (numerical noise in the history): restart from steepest descent.
      s.length = 0;
      y.length = 0;
      d = gradient.map((g) => -g);
      slope = dot(gradient, d);
    }
    // Without curvature information the first step is scaled to unit length.
    let step = s.length === 0 ? Math.min(1, 1 / Math.sqrt(dot(gradient, gradient))) : 1;
    let accepted: ({ x: Float64Array } & Evaluation) | undefined;
    for (let tries = 0; tries < MAX_BACKTRACKS; tries++) {
      const candidate = x.map((xi, i) => xi + step * d[i]);
      const evaluated = await objective(candidate);
      if (Number.isFinite(evaluated.value) && evaluated.value <= value + ARMIJO_C1 * step * slope) {
        accepted = { x: candidate, ...evaluated };
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return { x, value, iterations: iteration, reason: 'line-search' };
    const sNew = accepted.x.map((xi, i) => xi - x[i]);
    const yNew = accepted.gradient.map((gi, i) => gi - gradient[i]);
    if (dot(sNew, yNew) > 1e-12 * dot(yNew, yNew)) {
      s.push(sNew);
      y.push(yNew);
      if (s.length > history) {
        s.shift();
        y.shift();
      }
    }
    const decrease = value - accepted.value;
    x = accepted.x;
    value = accepted.value;
    gradient = accepted.gradient;
    if (decrease <= relTol * Math.max(Math.abs(value), 1)) return { x, value, iterations: iteration + 1, reason: 'decrease' };
  }
  return { x, value, iterations: options.maxIterations, reason: 'max-iterations' };
}
