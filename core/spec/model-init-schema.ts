import type { CheckpointLayout } from '../checkpoint/layouts';
import type { ImportTower } from '../checkpoint/import-weights';
import type { JsonSchema } from './json-schema';

/** `model.init`: start the model, or one tower, from a checkpoint (see core/engine/model-init.ts). */
export interface ModelInitSpec {
  /** A .safetensors file, or a slipkit checkpoint directory (its model.safetensors); relative to the spec. */
  path: string;
  layout: 'auto' | CheckpointLayout;
  tower: ImportTower;
  strict: boolean;
}

export const MODEL_INIT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  description: 'Initialise the model, or one tower, from a checkpoint before training or evaluation.',
  properties: {
    path: { type: 'string', minLength: 1, description: 'A .safetensors file or a slipkit checkpoint directory, relative to the spec.' },
    layout: {
      enum: ['auto', 'slipkit', 'open_clip', 'timm'],
      default: 'auto',
      description: "Parameter names of the file: slipkit's, an open_clip CLIP state dict, a timm VisionTransformer (image tower); auto tells them apart by name.",
    },
    tower: { enum: ['all', 'image', 'text'], default: 'all', description: 'Which parameters to initialise: every one, the image tower (visual.*) or the text tower.' },
    strict: {
      type: 'boolean',
      default: true,
      description: 'true: any missing, unexpected or mis-shaped tensor of the tower is an error listing them; false: load what matches and report the rest.',
    },
  },
};
