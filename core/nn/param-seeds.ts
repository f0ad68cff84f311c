import { Rng } from '../random';

/**
 * Where each parameter's initial values come from: a stream derived from the experiment
 * seed, the owner's spec path and the parameter's name. Adding, removing or reordering a
 * layer therefore leaves every other parameter's initial values unchanged.
 */
export class ParamSeeds {
  constructor(
    readonly seed: number,
    /** The owner's spec path, e.g. `model.image`. */
    readonly scope: string,
  ) {}

  rng(parameterName: string): Rng {
    return Rng.derive(this.seed, `${this.scope}/${parameterName}`);
  }
}
