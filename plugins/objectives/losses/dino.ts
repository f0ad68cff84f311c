import * as tf from '@tensorflow/tfjs';
import { TrainingError } from '../../../core/toolkit';
import { requireEmbeddings, requirePositive } from './checks';

/**
 * DINO's multi-crop cross-entropy (Caron et al. 2021; facebookresearch/dino main_dino.py
 * DINOLoss.forward): the centred, sharpened teacher distribution of each global view g,
 *   P_t(g) = softmax((t_g − center) / τ_t),
 * against the student's log-distribution of every other view v ≠ g,
 *   loss = Σ_{g, v ≠ g} mean_b(−Σ_d P_t(g)·log_softmax(s_v / τ_s)) / (number of pairs).
 * `teacher` are the global views' teacher outputs (constants), `student` every view's student
 * output with the global views first, in the same order.
 */
export function dinoLoss(teacher: readonly tf.Tensor2D[], student: readonly tf.Tensor2D[], center: tf.Tensor, temperatures: { teacher: number; student: number }): tf.Scalar {
  requirePositive('dinoLoss', 'teacher temperature', temperatures.teacher);
  requirePositive('dinoLoss', 'student temperature', temperatures.student);
  if (teacher.length < 1 || student.length < 2 || teacher.length > student.length) {
    throw new TrainingError(`dinoLoss: needs 1 ≤ teacher views ≤ student views and ≥ 2 student views, got ${teacher.length} and ${student.length}`);
  }
  [...teacher, ...student].forEach((x, i) => requireEmbeddings('dinoLoss', `output ${i}`, x));
  return tf.tidy(() => {
    const targets = teacher.map((t) => tf.softmax(tf.div(tf.sub(t, center), temperatures.teacher)));
    const logProbs = student.map((s) => tf.logSoftmax(tf.div(s, temperatures.student)));
    const terms: tf.Scalar[] = [];
    targets.forEach((p, g) => {
      logProbs.forEach((logQ, v) => {
        if (v !== g) terms.push(tf.mean(tf.neg(tf.sum(tf.mul(p, logQ), 1))));
      });
    });
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}

/** DINO's center update: center ← m·center + (1 − m)·(mean of the teacher outputs over views and batch). */
export function updatedCenter(center: tf.Tensor, teacher: readonly tf.Tensor2D[], momentum: number): tf.Tensor1D {
  return tf.tidy(() => {
    const batchCenter = tf.mean(tf.concat(teacher as tf.Tensor2D[], 0), 0);
    return tf.add(tf.mul(tf.reshape(center, batchCenter.shape), momentum), tf.mul(batchCenter, 1 - momentum)) as tf.Tensor1D;
  });
}

/**
 * DINO's teacher temperature schedule (np.linspace(start, end, warmup) over the first
 * `warmupSteps` steps, then `end`), by optimiser step instead of epoch.
 */
export function teacherTemperatureAt(step: number, t: { start: number; end: number; warmupSteps: number }): number {
  if (step >= t.warmupSteps) return t.end;
  if (t.warmupSteps === 1) return t.start;
  return t.start + ((t.end - t.start) * step) / (t.warmupSteps - 1);
}
