export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

/** What a probe found out about one backend. */
export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** Why it is (not) available, in words: "tfjs-node 4.22.0 (libtensorflow 2.21.0, native, oneDNN on)". */
  reason: string;
}

export interface BackendSelection {
  /** The backend tf.getBackend() now reports. */
  name: BackendName;
  /** Every backend tried, in order, with why it was skipped or chosen. */
  probes: BackendProbe[];
}
