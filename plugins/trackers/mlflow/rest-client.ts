import * as fs from 'node:fs';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { type Logger, TrackingError } from '../../../core/toolkit';
import type * as api from './api-types';
import { authorizationHeader, type Credentials } from './credentials';
import { MlflowApiError, MlflowUnreachableError } from './errors';
import { fromJsonDouble, toJsonDouble } from './limits';
import { redactUri } from '../shared/redact';
import { backoffDelayMs, DEFAULT_RETRY, isRetryableStatus, sleep, type RetryPolicy } from './retry';
import type { KeyValue, LogBatch, MetricPoint, MlflowRunStatus } from './types';

export interface MlflowClientOptions {
  /** Tracking server, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  uri: string;
  credentials?: Credentials;
  /** Per-request timeout of API calls. */
  timeoutMs?: number;
  /** Per-request timeout of artifact transfers (checkpoints can be large). */
  artifactTimeoutMs?: number;
  retry?: RetryPolicy;
  log?: Logger;
  /** Injected in tests to make backoff deterministic. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Network failures after which the request certainly never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const API = '/api/2.0/mlflow';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';

/** One page of get-history: the server's own cap for this endpoint. */
const HISTORY_PAGE = 25_000;

/**
 * A typed client for the MLflow tracking REST API over axios. Every call retries 408, 429,
 * 5xx and connection failures with jittered exponential backoff and then throws
 * MlflowApiError (with the server's error_code and message) or MlflowUnreachableError.
 * Credentials go into the Authorization header only; nothing here logs them.
 */
export class MlflowRestClient {
  /** The axios instance (tests observe requests through its interceptors). */
  readonly http: AxiosInstance;
  readonly uri: string;
  private readonly opts: MlflowClientOptions;
  private readonly retry: RetryPolicy;

  constructor(opts: MlflowClientOptions, http?: AxiosInstance) {
    this.opts = opts;
    this.uri = opts.uri.replace(/\/+$/, '');
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.http =
      http ??
      axios.create({
        baseURL: this.uri,
        timeout: opts.timeoutMs ?? 30_000,
        headers: opts.credentials ? { Authorization: authorizationHeader(opts.credentials) } : {},
        maxBodyLength: Infinity,
        maxContentLength: Infinity,
        // Statuses are handled here (retry or MlflowApiError), never thrown by axios.
        validateStatus: () => true,
      });
  }

  /** The same client (same connection pool and credentials) with another retry policy. */
  withRetry(retry: RetryPolicy): MlflowRestClient {
    return new MlflowRestClient({ ...this.opts, retry }, this.http);
  }

  /** The URI as it may be printed. */
  get displayUri(): string {
    return redactUri(this.uri);
  }

  // ---- experiments ----

  async getExperimentByName(name: string): Promise<api.ApiExperiment | undefined> {
    try {
      const res = await this.call<api.GetExperimentByNameResponse>('GET', `${API}/experiments/get-by-name`, { params: { experiment_name: name } });
      return res.experiment;
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  async createExperiment(name: string): Promise<string> {
    const body: api.CreateExperimentRequest = { name };
    const res = await this.call<api.CreateExperimentResponse>('POST', `${API}/experiments/create`, { data: body });
    return res.experiment_id;
  }

  /** The experiment's id, creating it when missing (and coping with another client creating it first). */
  async ensureExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) {
      if (found.lifecycle_stage === 'deleted') {
        throw new TrackingError(`MLflow experiment "${name}" is deleted on ${this.displayUri}; restore it or choose another experiment name`);
      }
      return found.experiment_id;
    }
    try {
      return await this.createExperiment(name);
    } catch (err) {
      if (!(err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
      const again = await this.getExperimentByName(name);
      if (!again) throw err;
      return again.experiment_id;
    }
  }

  // ---- runs ----

  async createRun(req: api.CreateRunRequest): Promise<api.ApiRun> {
    return (await this.call<api.CreateRunResponse>('POST', `${API}/runs/create`, { data: req })).run;
  }

  async getRun(runId: string): Promise<api.ApiRun> {
    return (await this.call<api.GetRunResponse>('GET', `${API}/runs/get`, { params: { run_id: runId } })).run;
  }

  async updateRun(req: api.UpdateRunRequest): Promise<api.ApiRunInfo> {
    return (await this.call<api.UpdateRunResponse>('POST', `${API}/runs/update`, { data: req })).run_info;
  }

  async setRunStatus(runId: string, status: MlflowRunStatus, endTimeMs?: number): Promise<void> {
    await this.updateRun({ run_id: runId, status, ...(endTimeMs !== undefined ? { end_time: endTimeMs } : {}) });
  }

  /** Every run matching the search (all pages). */
  async searchRuns(req: Omit<api.SearchRunsRequest, 'page_token'>): Promise<api.ApiRun[]> {
    const runs: api.ApiRun[] = [];
    let pageToken: string | undefined;
    do {
      const body: api.SearchRunsRequest = { max_results: 1000, ...req, ...(pageToken ? { page_token: pageToken } : {}) };
      const res = await this.call<api.SearchRunsResponse>('POST', `${API}/runs/search`, { data: body });
      runs.push(...(res.runs ?? []));
      pageToken = res.next_page_token || undefined;
    } while (pageToken);
    return runs;
  }

  async deleteRun(runId: string): Promise<void> {
    const body: api.RunIdRequest = { run_id: runId };
    await this.call<api.EmptyResponse>('POST', `${API}/runs/delete`, { data: body });
  }

  async restoreRun(runId: string): Promise<void> {
    const body: api.RunIdRequest = { run_id: runId };
    await this.call<api.EmptyResponse>('POST', `${API}/runs/restore`, { data: body });
  }

  /** One log-batch request; the caller keeps it within MLFLOW_LIMITS (see splitLogBatch). */
  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const body: api.LogBatchRequest = {
      run_id: runId,
      metrics: batch.metrics.map((m) => ({ key: m.key, value: toJsonDouble(m.value), timestamp: m.timestamp, step: m.step })),
      params: batch.params,
      tags: batch.tags,
    };
    await this.call<api.EmptyResponse>('POST', `${API}/runs/log-batch`, { data: body });
  }

  async setTag(runId: string, tag: KeyValue): Promise<void> {
    const body: api.SetTagRequest = { run_id: runId, key: tag.key, value: tag.value };
    await this.call<api.EmptyResponse>('POST', `${API}/runs/set-tag`, { data: body });
  }

  /** A metric's full history, in the server's order (all pages). */
  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const params = { run_id: runId, metric_key: key, max_results: HISTORY_PAGE, ...(pageToken ? { page_token: pageToken } : {}) };
      const res = await this.call<api.GetMetricHistoryResponse>('GET', `${API}/metrics/get-history`, { params });
      for (const m of res.metrics ?? []) points.push({ key: m.key, value: fromJsonDouble(m.value), timestamp: Number(m.timestamp), step: Number(m.step) });
      pageToken = res.next_page_token || undefined;
    } while (pageToken);
    return points;
  }

  // ---- artifacts (through the server's proxied artifact API) ----

  /** Uploads one file to `<run artifact root>/<artifactPath>`; `artifactUri` is the run's `artifact_uri`. */
  async uploadArtifact(artifactUri: string, localFile: string, artifactPath: string): Promise<void> {
    const url = `${ARTIFACTS}/${encodePath(`${artifactRootPath(artifactUri)}/${artifactPath}`)}`;
    const size = (await fs.promises.stat(localFile)).size;
    await this.call<unknown>(
      'PUT',
      url,
      { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) }, timeout: this.opts.artifactTimeoutMs ?? 600_000 },
      // A fresh stream per attempt: a consumed stream cannot be resent.
      () => fs.createReadStream(localFile),
    );
  }

  /** Entries directly under `dir` of the run's artifacts; paths come back relative to `dir`'s parent listing, as MLflow gives them. */
  async listArtifacts(artifactUri: string, dir = ''): Promise<api.ApiFileInfo[]> {
    const root = artifactRootPath(artifactUri);
    const res = await this.call<api.ListArtifactsResponse>('GET', ARTIFACTS, { params: { path: dir ? `${root}/${dir}` : root } });
    return res.files ?? [];
  }

  /** Every file of the run's artifacts, recursively: path (relative to the artifact root) → size. */
  async listArtifactFiles(artifactUri: string, dir = ''): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const f of await this.listArtifacts(artifactUri, dir)) {
      const rel = dir ? `${dir}/${f.path.split('/').pop()}` : f.path;
      if (f.is_dir) for (const [p, s] of await this.listArtifactFiles(artifactUri, rel)) out.set(p, s);
      else out.set(rel, Number(f.file_size ?? 0));
    }
    return out;
  }

  async downloadArtifact(artifactUri: string, artifactPath: string): Promise<Buffer> {
    const url = `${ARTIFACTS}/${encodePath(`${artifactRootPath(artifactUri)}/${artifactPath}`)}`;
    const data = await this.call<ArrayBuffer>('GET', url, { responseType: 'arraybuffer', timeout: this.opts.artifactTimeoutMs ?? 600_000 });
    return Buffer.from(data);
  }

  /** True when GET /health answers 200 (one attempt, no retries). */
  async isHealthy(): Promise<boolean> {
    try {
      const res = await this.http.get('/health', { timeout: 5000 });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  // ---- transport ----

  private async call<T>(method: 'GET' | 'POST' | 'PUT', url: string, config: AxiosRequestConfig, body?: () => unknown): Promise<T> {
    const endpoint = url.startsWith(API) ? url.slice(API.length + 1) : url.startsWith(ARTIFACTS) ? 'mlflow-artifacts' : url;
    const wait = this.opts.sleep ?? sleep;
    let maybeDelivered = false;
    for (let attempt = 0; ; attempt++) {
      let res: AxiosResponse<T> | undefined;
      let networkCode = '';
      try {
        res = await this.http.request<T>({ ...config, method, url, ...(body ? { data: body() } : {}) });
      } catch (err) {
        if (!axios.isAxiosError(err)) throw err;
        networkCode = err.code ?? 'ERR_NETWORK';
        if (!NOT_SENT_CODES.has(networkCode)) maybeDelivered = true;
      }
      let retryAfterS: number | undefined;
      if (res) {
        if (res.status >= 200 && res.status < 300) return res.data;
        const { code, message } = errorBody(res);
        const transient = isRetryableStatus(res.status);
        if (!transient || attempt >= this.retry.maxRetries) throw new MlflowApiError(method, endpoint, res.status, code, message, transient);
        const header = res.headers?.['retry-after'];
        retryAfterS = header !== undefined ? Number(header) : undefined;
        this.opts.log?.debug(`MLflow ${method} ${endpoint}: ${res.status} ${code}, retrying`);
      } else {
        if (attempt >= this.retry.maxRetries) throw new MlflowUnreachableError(method, endpoint, networkCode, attempt + 1, maybeDelivered);
        this.opts.log?.debug(`MLflow ${method} ${endpoint}: ${networkCode} from ${this.displayUri}, retrying`);
      }
      await wait(backoffDelayMs(attempt, this.retry, this.opts.random, retryAfterS));
    }
  }
}

/** The server-relative path of a run's artifact root: `mlflow-artifacts:/1/<run>/artifacts` → `1/<run>/artifacts`. */
export function artifactRootPath(artifactUri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
  if (!m) {
    throw new TrackingError(
      `the tracking server does not proxy artifacts (run artifact_uri is "${redactUri(artifactUri)}"); ` +
        'start it with `mlflow server --artifacts-destination <dir>` (artifact serving is on by default)',
    );
  }
  return m[1].replace(/\/+$/, '');
}

function encodePath(p: string): string {
  return p
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

function errorBody(res: AxiosResponse): { code: string; message: string } {
  const data: unknown = res.data;
  if (data && typeof data === 'object' && !Buffer.isBuffer(data) && !(data instanceof ArrayBuffer)) {
    const body = data as api.MlflowErrorBody;
    return { code: body.error_code ?? `HTTP_${res.status}`, message: body.message ?? JSON.stringify(data).slice(0, 500) };
  }
  const text = data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : String(data ?? '');
  try {
    const body = JSON.parse(text) as api.MlflowErrorBody;
    if (body && typeof body === 'object') return { code: body.error_code ?? `HTTP_${res.status}`, message: body.message ?? text.slice(0, 500) };
  } catch {
    // Not JSON (a proxy's HTML page): keep a short excerpt.
  }
  return { code: `HTTP_${res.status}`, message: text.replace(/\s+/g, ' ').trim().slice(0, 300) || res.statusText || 'no message' };
}
