import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors';
import type { Logger } from '../logger';
import { firstLine } from './load-module';
import { reselect } from './tfjs-engine';
import type { BackendCandidate, BackendName, BackendProbe, BackendRequest, BackendSelection } from './types';

/** Order `auto` tries: native TensorFlow, then a GPU through WebGPU, then WebAssembly, then pure JS. */
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

function candidateFor(name: BackendName, candidates: readonly BackendCandidate[]): BackendCandidate {
  const found = candidates.find((c) => c.name === name);
  if (!found) throw new BackendError(`unknown backend "${name}" (known: ${candidates.map((c) => c.name).join(', ')})`);
  return found;
}

/** Probes one candidate and, when it is available, makes it the selected backend. */
async function tryCandidate(candidate: BackendCandidate, auto: boolean): Promise<BackendProbe> {
  const probe = await candidate.probe();
  if (!probe.available) return probe;
  // A software device is slower than the CPU backends: only a spec that names it gets it.
  if (auto && probe.software) return { ...probe, available: false, reason: `${probe.reason}; auto does not pick a software device` };
  try {
    await candidate.activate();
    return probe;
  } catch (err) {
    return { ...probe, available: false, reason: `${probe.reason}, but starting it failed: ${firstLine(err)}` };
  }
}

/**
 * Selects the compute backend: `auto` walks AUTO_ORDER and takes the first that starts; a named
 * backend is tried alone. Logs the choice and why each backend before it was skipped. Throws a
 * BackendError naming every backend tried and why it failed; the previous backend stays selected.
 */
export async function selectFrom(request: BackendRequest, log: Logger, candidates: readonly BackendCandidate[]): Promise<BackendSelection> {
  const order = request === 'auto' ? AUTO_ORDER : [request];
  const probes: BackendProbe[] = [];
  for (const name of order) {
    const probe = await tryCandidate(candidateFor(name, candidates), request === 'auto');
    probes.push(probe);
    if (!probe.available) continue;
    for (const skipped of probes.slice(0, -1)) log.info(`backend ${skipped.name} skipped: ${skipped.reason}`);
    log.info(`backend ${name}${request === 'auto' ? ' (auto)' : ''}: ${probe.reason}`);
    return { name, probes };
  }
  const tried = probes.map((p) => `${p.name}: ${p.reason}`);
  throw new BackendError(
    request === 'auto'
      ? `no backend could be started:\n  ${tried.join('\n  ')}`
      : `backend "${request}" is not available: ${probes[0].reason}` + (request === 'cpu' ? '' : ' (use "backend": "auto" to fall back)'),
  );
}

/**
 * Probes every candidate in AUTO_ORDER without changing the selected backend (when none was
 * selected, the cpu backend is selected afterwards, never a half-initialised one).
 */
export async function probeAll(candidates: readonly BackendCandidate[]): Promise<BackendProbe[]> {
  const previous = tf.getBackend();
  const probes: BackendProbe[] = [];
  try {
    for (const name of AUTO_ORDER) {
      try {
        probes.push(await candidateFor(name, candidates).probe());
      } catch (err) {
        probes.push({ name, available: false, reason: `probe failed: ${firstLine(err)}` });
      }
    }
  } finally {
    await reselect(previous);
  }
  return probes;
}
