import { definePlugin } from '../../core/toolkit';
import { DclObjective, dclProperties, type DclOptions } from './dcl';

export interface DclwOptions extends DclOptions {
  sigma: number;
}

/**
 * DCLW (Yeh et al. 2022): DCL whose positive term is weighted per sample by the negative von
 * Mises-Fisher weight w_i = 2 − N·softmax_i(⟨z1_i, z2_i⟩/σ), which leans on the hard positives.
 */
export default definePlugin<'objective', DclwOptions>({
  kind: 'objective',
  name: 'dclw',
  description: 'DCLW: the decoupled contrastive loss with von Mises-Fisher weighted positives.',
  schema: {
    type: 'object',
    properties: {
      ...dclProperties,
      sigma: { type: 'number', exclusiveMinimum: 0, default: 0.5, description: 'σ of the von Mises-Fisher weighting (DCL paper: 0.5).' },
    },
    additionalProperties: false,
  },
  create: ({ sigma, ...options }, ctx) => new DclObjective(options, ctx, { sigma }),
});
