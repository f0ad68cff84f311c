/**
 * The objective author's toolkit, published as 'slipkit/objectives': the losses and heads the
 * built-in objectives are made of, for an external objective to reuse the way a built-in does.
 *
 *   import { definePlugin, type Objective } from 'slipkit/toolkit';
 *   import { HeadBuilder, ntXentLoss } from 'slipkit/objectives';
 *
 * It lives beside the objectives (core may not import plugins/, so 'slipkit/toolkit' cannot
 * re-export it) and it names only what is stable: each loss is a pure function of embeddings
 * that validates its arguments; HeadBuilder builds seeded MLP heads on the image features.
 */
export { barlowTwinsLoss, type BarlowTwinsResult } from './losses/barlow-twins';
export { clipLoss } from './losses/clip';
export { dclLoss, dclwWeights, type DclWeighting } from './losses/dcl';
export { dinoLoss, teacherTemperatureAt, updatedCenter } from './losses/dino';
export { diagonal, diagonalCrossEntropy, diagonalTop1Percent, offDiagonalSquaredSum, type ContrastiveResult } from './losses/diagonal';
export { maeLoss, patchPixels } from './losses/mae';
export { mocoInfoNceLoss } from './losses/info-nce';
export { nearestNeighbours, nnclrInfoNce } from './losses/nearest-neighbour';
export { negativeCosine, rowCosine } from './losses/negative-cosine';
export { normalizedMse } from './losses/normalized-mse';
export { ntXentLoss } from './losses/nt-xent';
export { normalizedOutputStd } from './losses/output-std';
export { sinkhorn, swavLoss, type SinkhornOptions } from './losses/swav';
export { vicregLoss, type VicregCoefficients, type VicregResult } from './losses/vicreg';
export { DinoHead, type DinoHeadOptions } from './common/dino-head';
export { HeadBuilder, type HeadLayout, type ProjectorPredictorLayout } from './common/heads';
export type { HeadOptions, PredictorOptions } from './common/options';
export { headSchema, multiCropViewsSchema, predictorSchema, temperatureSchema, viewsSchema } from './common/schema';
export { tidyOutput } from './common/output';
export { RingQueue } from './common/ring-queue';
export { MaeDecoder, sincosPosEmbed, type MaeDecoderOptions } from './common/mae-decoder';
