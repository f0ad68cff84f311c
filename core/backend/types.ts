export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

/**
 * Whether a backend queues work on a device, so that reading a value back waits for the queue
 * to drain (webgpu). The training loop then reads the step figures only when a hook needs
 * them; on the CPU backends a read costs nothing and it reads every step.
 */
export function readsWaitForDevice(name: BackendName): boolean {
  return name === 'webgpu';
}

/** What a probe found out about one backend. */
export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** Why it is (not) available, in words: "tfjs-node 4.22.0 (libtensorflow 2.21.0, native, oneDNN on)". */
  reason: string;
  /** Versions and sources behind the backend, for `slipkit doctor` and run metadata (e.g. `libtensorflow`). */
  details?: Readonly<Record<string, string>>;
  /** True when the backend runs on a software device (WebGPU on lavapipe): `auto` never picks it. */
  software?: boolean;
}

export interface BackendSelection {
  /** The backend tf.getBackend() now reports. */
  name: BackendName;
  /** Every backend tried, in order, with why it was skipped or chosen. */
  probes: BackendProbe[];
}

/**
 * One way to run tensors. `probe` finds out whether it can run here: it may load modules and
 * initialise the tfjs backend, but leaves the selected backend as it was. `activate` makes it
 * the selected backend and checks it computes; it throws (leaving the previous backend selected)
 * when it cannot. Selection calls `activate` only after `probe` said available.
 */
export interface BackendCandidate {
  readonly name: BackendName;
  probe(): Promise<BackendProbe>;
  activate(): Promise<void>;
}
