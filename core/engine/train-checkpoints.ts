import * as tf from '@tensorflow/tfjs';
import { CheckpointStore, type LoadedCheckpoint, type TrainingState } from '../checkpoint/store';
import { exportTensors, exportWeights, importWeights, toTensors } from '../checkpoint/weights';
import type { NamedVariable } from '../contracts/trainable';
import type { Rng } from '../random';
import type { AdamW } from './optim/adamw';

/**
 * Everything a run needs to continue bit for bit, saved and restored together: the trained
 * and EMA weights, the optimizer's moments, the augmentation stream and the training state.
 */
export class TrainingCheckpoints {
  private readonly store: CheckpointStore;

  constructor(
    runDir: string,
    private readonly weights: readonly NamedVariable[],
    private readonly optimizer: AdamW,
    private readonly augmentRng: Rng,
    private readonly spec: unknown,
  ) {
    this.store = new CheckpointStore(runDir);
  }

  /** Writes a checkpoint of `state` as `last` (and `best`); returns its directory. */
  async save(state: TrainingState, best: boolean): Promise<string> {
    state.rng.augment = this.augmentRng.state();
    const optimizerState = this.optimizer.stateTensors();
    let optimizer;
    try {
      optimizer = await exportTensors(optimizerState);
    } finally {
      tf.dispose([...optimizerState.values()]);
    }
    return this.store.save({ weights: await exportWeights(this.weights), optimizer, state, spec: this.spec }, best ? ['last', 'best'] : ['last']);
  }

  /** Loads a checkpoint's weights, optimizer moments and augmentation stream; returns (a copy of) its training state. */
  restore(ckpt: LoadedCheckpoint): TrainingState {
    importWeights(this.weights, ckpt.weights, `checkpoint ${ckpt.dir}`);
    const slots = toTensors(ckpt.optimizer);
    this.optimizer.loadState(ckpt.state.step, slots);
    tf.dispose([...slots.values()]);
    if (ckpt.state.rng.augment) this.augmentRng.setState(ckpt.state.rng.augment);
    return structuredClone(ckpt.state);
  }
}
