import { type Logger, TrackingError } from '../../../core/toolkit';
import { MlflowApiError } from './errors';
import { splitLogBatch } from './limits';
import { LocalStore, type LocalRunInfo } from './local-store';
import { Outbox } from './outbox';
import { OutboxSender, type DrainOutcome } from './outbox-sender';
import { artifactRootPath, type MlflowRestClient } from './rest-client';
import { isOtherLiveProcess, readRunState, writeRunState } from './run-state';
import { metricPointId, type KeyValue, type MetricPoint } from './types';

/** Tag naming the local-store run an uploaded run came from; finds it again on the next upload. */
export const SOURCE_RUN_TAG = 'slipkit.source_run_id';

export interface ReplayResult {
  runId?: string;
  /** Operations sent (or refused for good) now. */
  sent: number;
  /** Operations still in the outbox. */
  remaining: number;
  rejected: number;
  outcome: DrainOutcome;
}

/**
 * `slipkit sync <run-dir>`: sends what a run's outbox still holds to its server (or to
 * `client`'s, when the server moved), in order, without resending points that arrived.
 */
export async function replayRunDir(runDir: string, client: MlflowRestClient, log: Logger): Promise<ReplayResult> {
  const state = readRunState(runDir);
  if (!state) throw new TrackingError(`${runDir} has no tracking state (tracking/state.json): it was not tracked by the mlflow tracker`);
  if (state.store !== 'rest') throw new TrackingError(`${runDir} was tracked to the local store ${state.location}: upload it with "slipkit sync --to <uri> --dir ${state.location}"`);
  if (isOtherLiveProcess(state.writerPid)) throw new TrackingError(`process ${state.writerPid} is still logging ${runDir}; sync it after that run ends`);
  if (state.runId && client.displayUri !== state.location) {
    try {
      await client.getRun(state.runId);
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') {
        throw new TrackingError(`run ${state.runId} (logged to ${state.location}) does not exist on ${client.displayUri}; the outbox only holds what ${state.location} had not received`);
      }
      throw err;
    }
  }
  const sender = new OutboxSender(new Outbox(runDir), state, client, log);
  const before = sender.pending;
  const outcome = await sender.drain(true);
  if (outcome === 'delivered' && state.location !== client.displayUri) {
    state.location = client.displayUri;
    writeRunState(runDir, state);
  }
  return { runId: state.runId, sent: before - sender.pending, remaining: sender.pending, rejected: sender.rejected, outcome };
}

export interface UploadResult {
  localRunId: string;
  remoteRunId: string;
  experiment: string;
  runName: string;
  created: boolean;
  params: number;
  tags: number;
  metrics: number;
  artifacts: number;
  /** Problems that did not stop the upload of the rest (e.g. params that differ on the server). */
  problems: string[];
}

/**
 * `slipkit sync --to <uri>`: uploads local-store runs to a server. Idempotent: a run is
 * found again by its `slipkit.source_run_id` tag, and only params, tags, metric points and
 * artifacts the server lacks are sent, so running it twice sends nothing twice.
 */
export async function uploadLocalStore(store: LocalStore, client: MlflowRestClient, log: Logger, filter: { experiment?: string; runId?: string } = {}): Promise<UploadResult[]> {
  if (!store.exists()) throw new TrackingError(`no local store at ${store.root}`);
  const results: UploadResult[] = [];
  for (const exp of store.experiments()) {
    if (exp.lifecycleStage !== 'active' || (filter.experiment && exp.name !== filter.experiment)) continue;
    for (const run of store.runs(exp.id)) {
      if (run.lifecycleStage !== 'active' || (filter.runId && run.runId !== filter.runId)) continue;
      results.push(await uploadLocalRun(store, run, exp.name, client, log));
    }
  }
  return results;
}

async function uploadLocalRun(store: LocalStore, run: LocalRunInfo, experiment: string, client: MlflowRestClient, log: Logger): Promise<UploadResult> {
  const experimentId = await client.ensureExperiment(experiment);
  const found = await client.searchRuns({ experiment_ids: [experimentId], filter: `tags.\`${SOURCE_RUN_TAG}\` = '${run.runId}'`, run_view_type: 'ALL' });
  const created = found.length === 0;
  const remote = found[0] ?? (await client.createRun({ experiment_id: experimentId, run_name: run.runName, start_time: run.startTime, tags: [{ key: SOURCE_RUN_TAG, value: run.runId }] }));
  const result: UploadResult = { localRunId: run.runId, remoteRunId: remote.info.run_id, experiment, runName: run.runName, created, params: 0, tags: 0, metrics: 0, artifacts: 0, problems: [] };
  if (remote.info.lifecycle_stage === 'deleted') {
    result.problems.push(`run ${remote.info.run_id} is deleted on the server: not uploaded`);
    return result;
  }

  const remoteParams = new Map((remote.data.params ?? []).map((p) => [p.key, p.value]));
  const params: KeyValue[] = [];
  for (const [key, value] of Object.entries(store.readParams(run))) {
    const there = remoteParams.get(key);
    if (there === undefined) params.push({ key, value });
    else if (there !== value) result.problems.push(`param ${key} is "${there}" on the server and "${value}" locally: kept the server's`);
  }
  const remoteTags = new Map((remote.data.tags ?? []).map((t) => [t.key, t.value]));
  const tags = Object.entries(store.readTags(run))
    .filter(([key, value]) => remoteTags.get(key) !== value)
    .map(([key, value]) => ({ key, value }));

  const metrics: MetricPoint[] = [];
  for (const key of store.metricKeys(run)) {
    const present = new Set(created ? [] : (await client.getMetricHistory(remote.info.run_id, key)).map(metricPointId));
    for (const p of store.readMetricHistory(run, key)) {
      const id = metricPointId(p);
      if (!present.has(id)) {
        metrics.push(p);
        present.add(id); // a point written twice locally is still sent once
      }
    }
  }
  for (const batch of splitLogBatch({ metrics, params, tags })) await client.logBatch(remote.info.run_id, batch);
  Object.assign(result, { params: params.length, tags: tags.length, metrics: metrics.length });

  const local = store.artifactFiles(run);
  if (local.size && proxiesArtifacts(remote.info.artifact_uri, result)) {
    const there = created ? new Map<string, number>() : await client.listArtifactFiles(remote.info.artifact_uri);
    for (const [rel, size] of local) {
      if (there.get(rel) === size) continue;
      await client.uploadArtifact(remote.info.artifact_uri, `${store.artifactDir(run)}/${rel}`, rel);
      result.artifacts++;
    }
  }

  const endTime = run.endTime ?? undefined;
  if (run.status !== 'RUNNING' && (remote.info.status !== run.status || Number(remote.info.end_time ?? 0) !== (endTime ?? 0))) {
    await client.updateRun({ run_id: remote.info.run_id, status: run.status, ...(endTime !== undefined ? { end_time: endTime } : {}) });
  }
  for (const p of result.problems) log.warn(`${experiment}/${run.runName} (${run.runId}): ${p}`);
  return result;
}

function proxiesArtifacts(artifactUri: string, result: UploadResult): boolean {
  try {
    artifactRootPath(artifactUri);
    return true;
  } catch (err) {
    result.problems.push(`artifacts not uploaded: ${(err as Error).message}`);
    return false;
  }
}
