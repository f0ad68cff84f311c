import type * as tf from '@tensorflow/tfjs';
import {
  type Mlp,
  type MomentumPair,
  type MomentumSchedule,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  type PluginContext,
  stopGradient,
} from '../../../core/toolkit';
import { HeadBuilder, type ProjectorPredictorLayout } from './heads';
import { requireHead, requireMomentum, requireWidths, type HeadOptions, type MomentumOptions, type PredictorOptions } from './options';
import { tidyOutput } from './output';

/** Options of a two-view objective with an online projector + predictor and an EMA target projector. */
export interface MomentumTargetOptions {
  views: string[];
  projector: HeadOptions;
  predictor: PredictorOptions;
  momentum: MomentumOptions;
  inputDim?: number;
}

/** Both views through both branches, by view index. */
export interface MomentumTargetBranches {
  /** projector(features_i), online. */
  projections: [tf.Tensor2D, tf.Tensor2D];
  /** predictor(projector(features_i)), online. */
  predictions: [tf.Tensor2D, tf.Tensor2D];
  /** targetProjector(momentumFeatures_i), without gradient. */
  targets: [tf.Tensor2D, tf.Tensor2D];
}

/** The EMA pairs of an online head and its frozen copy, variable by variable (same order). */
function headMomentumPairs(online: Mlp, target: Mlp): MomentumPair[] {
  const targets = target.variables();
  return online.variables().map((v, i) => ({ online: v.variable, target: targets[i].variable }));
}

/**
 * What BYOL and MoCo v3 share: on two views, an online branch predictor(projector(f_i))
 * and a target branch targetProjector(momentumFeatures_i). The momentum encoder is the
 * engine's EMA copy of the image encoder (requested through `momentum`); the target
 * projector is this objective's EMA copy of the projector (momentumPairs); the predictor
 * exists on the online branch only. Subclasses turn the branches into a loss.
 */
export abstract class MomentumTargetObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  readonly momentum: MomentumSchedule;
  readonly projector: Mlp;
  readonly predictor: Mlp;
  readonly targetProjector: Mlp;

  /**
   * `o` has its defaults filled in. Subclasses check their views and their own options
   * before calling this, so that errors name the first bad option in spec order.
   */
  protected constructor(o: MomentumTargetOptions, ctx: PluginContext, layout: ProjectorPredictorLayout) {
    requireHead(`${ctx.path}.projector`, o.projector);
    requireWidths(`${ctx.path}.predictor.hidden`, o.predictor.hidden);
    requireMomentum(`${ctx.path}.momentum`, o.momentum);
    this.views = [...o.views];
    this.momentum = { ...o.momentum };
    const heads = new HeadBuilder(ctx, o.inputDim).projectorAndPredictor(o, layout);
    this.projector = heads.projector;
    this.predictor = heads.predictor;
    this.targetProjector = this.projector.frozenCopy();
  }

  /** Online projector and predictor; the target projector is not trained (see momentumPairs). */
  variables(): NamedVariable[] {
    return [...this.projector.variables(), ...this.predictor.variables()];
  }

  momentumPairs(): MomentumPair[] {
    return headMomentumPairs(this.projector, this.targetProjector);
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const [f1, f2] = [inputs.features(0), inputs.features(1)];
    const [m1, m2] = [inputs.momentumFeatures(0), inputs.momentumFeatures(1)];
    return tidyOutput(() => {
      const projections: [tf.Tensor2D, tf.Tensor2D] = [this.projector.apply(f1), this.projector.apply(f2)];
      return this.loss({
        projections,
        predictions: [this.predictor.apply(projections[0]), this.predictor.apply(projections[1])],
        targets: [stopGradient(this.targetProjector.apply(m1)), stopGradient(this.targetProjector.apply(m2))],
      });
    });
  }

  /** The loss and metrics of both branches; runs inside compute's tidy. */
  protected abstract loss(branches: MomentumTargetBranches): ObjectiveOutput;
}
