import * as tf from '@tensorflow/tfjs';

/** One op attribute as tfjs-node's binding takes it. */
export interface OpAttr {
  name: string;
  type: number;
  value: string | number | boolean | number[];
}

/** The constants of tfjs-node's binding that op attributes need. */
export interface OpBindingConstants {
  TF_ATTR_STRING: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_INT: number;
  TF_FLOAT: number;
  TF_RESOURCE: number;
}

/**
 * The part of tfjs-node's backend (NodeJSKernelBackend) that runs any TensorFlow op by name,
 * eagerly. Outputs come back as tensors registered with the tfjs engine (so tf.tidy tracks
 * them); resource handles come back as tensors of dtype 'string'.
 */
export interface TensorflowOpRunner {
  binding: OpBindingConstants;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[], outputs: number): tf.Tensor[];
}

/** `backend` as an op runner, when it is tfjs-node's. */
export function asOpRunner(backend: unknown): TensorflowOpRunner | undefined {
  const b = backend as Partial<TensorflowOpRunner> | undefined;
  return b && typeof b.executeSingleOutput === 'function' && typeof b.executeMultipleOutputs === 'function' && typeof b.binding?.TF_RESOURCE === 'number'
    ? (b as TensorflowOpRunner)
    : undefined;
}

/** The active backend as an op runner, when it is the native `tensorflow` backend. */
export function activeOpRunner(): TensorflowOpRunner | undefined {
  return tf.getBackend() === 'tensorflow' ? asOpRunner(tf.backend()) : undefined;
}

/** The `T` (element type) attribute for float32 ops. */
export const floatTypeAttr = (runner: TensorflowOpRunner, name = 'T'): OpAttr => ({ name, type: runner.binding.TF_ATTR_TYPE, value: runner.binding.TF_FLOAT });

export const boolAttr = (runner: TensorflowOpRunner, name: string, value: boolean): OpAttr => ({ name, type: runner.binding.TF_ATTR_BOOL, value });

export const floatAttr = (runner: TensorflowOpRunner, name: string, value: number): OpAttr => ({ name, type: runner.binding.TF_ATTR_FLOAT, value });

export const intAttr = (runner: TensorflowOpRunner, name: string, value: number): OpAttr => ({ name, type: runner.binding.TF_ATTR_INT, value });
