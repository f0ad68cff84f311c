import * as tf from '@tensorflow/tfjs';
import {
  definePlugin,
  type MomentumPair,
  type MomentumSchedule,
  type NamedVariable,
  type Objective,
  type ObjectiveInputs,
  type ObjectiveOutput,
  ParamSeeds,
  type PluginContext,
  SpecError,
  stopGradient,
} from '../../core/toolkit';
import { dinoLoss, teacherTemperatureAt, updatedCenter } from './losses/dino';
import { DinoHead, type DinoHeadOptions } from './common/dino-head';
import { resolveFeatureDim } from './common/feature-dim';
import { requireMomentum, requireMultiCropViews, requireNonNegative, requirePositive, requirePositiveInteger, requireWidths, type MomentumOptions } from './common/options';
import { tidyOutput } from './common/output';
import { inputDimSchema, momentumSchema, multiCropViewsSchema, temperatureSchema } from './common/schema';

export interface TeacherTemperature {
  start: number;
  end: number;
  warmupSteps: number;
}

export interface DinoOptions {
  views: string[];
  globalViews: number;
  outDim: number;
  head: DinoHeadOptions;
  studentTemperature: number;
  teacherTemperature: TeacherTemperature;
  centerMomentum: number;
  momentum: MomentumOptions;
  freezeLastLayerSteps: number;
  inputDim?: number;
}

/**
 * DINO (Caron et al. 2021, facebookresearch/dino): self-distillation without labels.
 *   student_v = head(features_v) for every view v (global crops first, then local crops),
 *   teacher_g = teacherHead(momentumFeatures_g) for the global crops only (no gradient),
 *   loss = dinoLoss(teacher, student, center, τ_t(step), τ_s)
 * The teacher is the engine's EMA copy of the image encoder plus this objective's EMA copy of
 * the head (momentumPairs), with DINO's cosine momentum 0.996 → 1. After the loss, the center
 * moves toward the batch mean of the teacher outputs (centerMomentum), as DINOLoss does; it
 * is state, checkpointed through state(). The last layer's gradient is dropped for the first
 * `freezeLastLayerSteps` steps (DINO freezes it for the first epoch).
 * Metric `teacher_temp`: the teacher temperature used at this step.
 */
export class DinoObjective implements Objective {
  readonly views: readonly string[];
  readonly usesText = false;
  /** Its center is an average over the batch (DINO all-reduces it): in a data-parallel run it sees every rank's features, so every rank keeps the same center. */
  readonly needsGlobalBatch = true;
  readonly momentum: MomentumSchedule;
  readonly momentumViewCount: number;
  readonly head: DinoHead;
  readonly teacherHead: DinoHead;
  readonly center: tf.Variable;
  private readonly o: DinoOptions;

  constructor(o: DinoOptions, ctx: PluginContext) {
    const p = ctx.path;
    requireMultiCropViews(`${p}.views`, o.views, o.globalViews, `${p}.globalViews`);
    requirePositiveInteger(`${p}.outDim`, o.outDim);
    requireWidths(`${p}.head.hidden`, o.head.hidden);
    requirePositiveInteger(`${p}.head.bottleneck`, o.head.bottleneck);
    requirePositive(`${p}.studentTemperature`, o.studentTemperature);
    requirePositive(`${p}.teacherTemperature.start`, o.teacherTemperature.start);
    requirePositive(`${p}.teacherTemperature.end`, o.teacherTemperature.end);
    requireNonNegative(`${p}.teacherTemperature.warmupSteps`, o.teacherTemperature.warmupSteps);
    if (!(o.centerMomentum >= 0 && o.centerMomentum <= 1)) throw SpecError.at(`${p}.centerMomentum`, `must be in [0, 1] (got ${o.centerMomentum})`);
    requireMomentum(`${p}.momentum`, o.momentum);
    requireNonNegative(`${p}.freezeLastLayerSteps`, o.freezeLastLayerSteps);
    this.o = o;
    this.views = [...o.views];
    this.momentum = { ...o.momentum };
    this.momentumViewCount = o.globalViews;
    this.head = DinoHead.create('head', resolveFeatureDim(ctx, o.inputDim), o.head, o.outDim, new ParamSeeds(ctx.seed, ctx.path));
    this.teacherHead = this.head.frozenCopy();
    this.center = tf.variable(tf.zeros([o.outDim]), false);
  }

  variables(): NamedVariable[] {
    return this.head.variables();
  }

  momentumPairs(): MomentumPair[] {
    const targets = this.teacherHead.variables();
    return this.head.variables().map((v, i) => ({ online: v.variable, target: targets[i].variable }));
  }

  state(): NamedVariable[] {
    return [{ name: 'center', variable: this.center, decay: false }];
  }

  compute(inputs: ObjectiveInputs): ObjectiveOutput {
    const student = this.views.map((_, v) => inputs.features(v));
    const teacherFeatures = Array.from({ length: this.o.globalViews }, (_, g) => inputs.momentumFeatures(g));
    const teacherTemp = teacherTemperatureAt(inputs.step, this.o.teacherTemperature);
    const freezeLastLayer = inputs.step < this.o.freezeLastLayerSteps;
    return tidyOutput(() => {
      const teacher = teacherFeatures.map((m) => stopGradient(this.teacherHead.apply(m)));
      const studentOut = student.map((f) => this.head.apply(f, { freezeLastLayer }));
      const loss = dinoLoss(teacher, studentOut, this.center, { teacher: teacherTemp, student: this.o.studentTemperature });
      this.center.assign(updatedCenter(this.center, teacher, this.o.centerMomentum));
      return { loss, metrics: { teacher_temp: tf.scalar(teacherTemp) } };
    });
  }
}

export default definePlugin<'objective', DinoOptions>({
  kind: 'objective',
  name: 'dino',
  description: 'DINO: a student matches an EMA teacher’s centred, sharpened outputs across multi-crop views (global teacher views vs every other student view).',
  schema: {
    type: 'object',
    properties: {
      views: multiCropViewsSchema(['ssl', 'ssl'], 'the global crops first (as many as globalViews), then the local crops'),
      globalViews: { type: 'integer', minimum: 1, default: 2, description: 'How many of the leading views are global crops, seen by the teacher (DINO: 2).' },
      outDim: { type: 'integer', minimum: 1, default: 65536, description: 'Output width K of the head (DINO: 65536).' },
      head: {
        type: 'object',
        description: 'DINO head: [Linear-GELU] per hidden layer, a Linear to the bottleneck, L2 normalisation, then the weight-normalised last layer (DINO: hidden [2048, 2048], bottleneck 256).',
        properties: {
          hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [2048, 2048], description: 'Widths of the hidden layers.' },
          bottleneck: { type: 'integer', minimum: 1, default: 256, description: 'Width of the bottleneck before the last layer.' },
        },
        additionalProperties: false,
        default: {},
      },
      studentTemperature: temperatureSchema(0.1, 'Student softmax temperature τ_s (DINO: 0.1).'),
      teacherTemperature: {
        type: 'object',
        description: 'Teacher softmax temperature τ_t, warmed up linearly from start to end over warmupSteps (DINO: 0.04 → 0.04; 0.04 → 0.07 over 30 epochs for ViT-S/16).',
        properties: {
          start: { type: 'number', exclusiveMinimum: 0, default: 0.04, description: 'τ_t at step 0.' },
          end: { type: 'number', exclusiveMinimum: 0, default: 0.04, description: 'τ_t from warmupSteps on.' },
          warmupSteps: { type: 'integer', minimum: 0, default: 0, description: 'Steps of the linear warmup (0: τ_t = end throughout).' },
        },
        additionalProperties: false,
        default: {},
      },
      centerMomentum: { type: 'number', minimum: 0, maximum: 1, default: 0.9, description: 'EMA momentum of the center subtracted from the teacher outputs (DINO: 0.9).' },
      momentum: momentumSchema({ start: 0.996, end: 1 }),
      freezeLastLayerSteps: { type: 'integer', minimum: 0, default: 0, description: 'Steps during which the head’s last layer gets no gradient (DINO: the first epoch).' },
      inputDim: inputDimSchema,
    },
    additionalProperties: false,
  },
  create: (options, ctx) => new DinoObjective(options, ctx),
});
