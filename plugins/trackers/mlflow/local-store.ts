import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TrackingError } from '../../../core/toolkit';
import { readFlatYaml, writeFlatYaml, type YamlScalar } from './flat-yaml';
import type { KeyValue, MetricPoint, MlflowRunStatus } from './types';

/**
 * A run store on local disk in MLflow's FileStore layout, so that MLflow itself can read it
 * (`MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ./mlruns`, or
 * `mlflow migrate-filestore`) and `slipkit sync --to` can upload it:
 *
 *   <root>/<experiment id>/meta.yaml                        name, artifact location, …
 *   <root>/<experiment id>/<run id>/meta.yaml               run name, status, start/end time, …
 *   <root>/<experiment id>/<run id>/params/<key>            the value
 *   <root>/<experiment id>/<run id>/tags/<key>              the value
 *   <root>/<experiment id>/<run id>/metrics/<key>           one "<timestamp ms> <value> <step>" line per point
 *   <root>/<experiment id>/<run id>/artifacts/…
 *
 * Keys with `/` are nested folders, as in MLflow.
 */
export interface LocalExperiment {
  id: string;
  name: string;
  dir: string;
  lifecycleStage: string;
}

export interface LocalRunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  status: MlflowRunStatus;
  startTime: number;
  endTime: number | null;
  lifecycleStage: string;
  /** The run's folder. */
  dir: string;
  artifactUri: string;
}

/** FileStore keeps statuses as integers (mlflow.entities.RunStatus). */
const STATUS_CODES: Record<MlflowRunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const STATUS_NAMES = Object.fromEntries(Object.entries(STATUS_CODES).map(([k, v]) => [v, k])) as Record<number, MlflowRunStatus>;

const DEFAULT_EXPERIMENT_ID = '0';
const META = 'meta.yaml';
/** Folders at the store root that are not experiments. */
const NOT_EXPERIMENTS = new Set(['.trash', 'models', '.slipkit']);

/** Metric values as Python's str(float) writes them, which FileStore parses with float(). */
export function formatMetricValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

export function parseMetricValue(s: string): number {
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  return Number(s);
}

export class LocalStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Creates the store (with MLflow's Default experiment and trash folder) if it is not there. */
  ensure(): void {
    if (!fs.existsSync(path.join(this.root, DEFAULT_EXPERIMENT_ID, META))) {
      this.writeExperiment(DEFAULT_EXPERIMENT_ID, 'Default');
    }
    fs.mkdirSync(path.join(this.root, '.trash'), { recursive: true });
  }

  exists(): boolean {
    return fs.existsSync(this.root) && fs.statSync(this.root).isDirectory();
  }

  experiments(): LocalExperiment[] {
    if (!this.exists()) return [];
    const out: LocalExperiment[] = [];
    for (const entry of fs.readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || NOT_EXPERIMENTS.has(entry.name)) continue;
      const meta = this.readMeta(path.join(this.root, entry.name));
      if (!meta) continue;
      out.push({ id: String(meta.experiment_id ?? entry.name), name: String(meta.name ?? entry.name), dir: path.join(this.root, entry.name), lifecycleStage: String(meta.lifecycle_stage ?? 'active') });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The experiment's id, creating it when missing. */
  ensureExperiment(name: string): string {
    this.ensure();
    const found = this.experiments().find((e) => e.name === name);
    if (found) {
      if (found.lifecycleStage !== 'active') throw new TrackingError(`experiment "${name}" in ${this.root} is deleted`);
      return found.id;
    }
    // MLflow's FileStore gives experiments random 63-bit integer ids.
    const id = (BigInt(`0x${randomBytes(8).toString('hex')}`) >> 1n).toString();
    this.writeExperiment(id, name);
    return id;
  }

  private writeExperiment(id: string, name: string): void {
    const dir = path.join(this.root, id);
    fs.mkdirSync(dir, { recursive: true });
    const now = Date.now();
    fs.writeFileSync(
      path.join(dir, META),
      writeFlatYaml({
        artifact_location: pathToFileURL(dir).href,
        creation_time: now,
        experiment_id: id,
        last_update_time: now,
        lifecycle_stage: 'active',
        name,
      }),
    );
  }

  createRun(experimentId: string, runName: string, startTime: number, tags: readonly KeyValue[]): LocalRunInfo {
    const runId = randomUUID().replace(/-/g, '');
    const dir = path.join(this.root, experimentId, runId);
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const info: LocalRunInfo = {
      runId,
      experimentId,
      runName,
      status: 'RUNNING',
      startTime,
      endTime: null,
      lifecycleStage: 'active',
      dir,
      artifactUri: pathToFileURL(path.join(dir, 'artifacts')).href,
    };
    this.writeRunMeta(info);
    this.writeTags(info, [{ key: 'mlflow.runName', value: runName }, ...tags]);
    return info;
  }

  runs(experimentId?: string): LocalRunInfo[] {
    const out: LocalRunInfo[] = [];
    for (const exp of this.experiments()) {
      if (experimentId !== undefined && exp.id !== experimentId) continue;
      for (const entry of fs.readdirSync(exp.dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const info = this.readRunInfo(path.join(exp.dir, entry.name));
        if (info) out.push(info);
      }
    }
    return out.sort((a, b) => a.startTime - b.startTime);
  }

  getRun(runId: string): LocalRunInfo | undefined {
    for (const exp of this.experiments()) {
      const dir = path.join(exp.dir, runId);
      if (fs.existsSync(path.join(dir, META))) return this.readRunInfo(dir);
    }
    return undefined;
  }

  setStatus(info: LocalRunInfo, status: MlflowRunStatus, endTime: number | null): LocalRunInfo {
    const next = { ...info, status, endTime };
    this.writeRunMeta(next);
    return next;
  }

  /** Writes params; a param that exists with another value is left alone and returned. */
  writeParams(info: LocalRunInfo, params: readonly KeyValue[]): KeyValue[] {
    const conflicts: KeyValue[] = [];
    for (const p of params) {
      const file = path.join(info.dir, 'params', p.key);
      if (fs.existsSync(file)) {
        if (fs.readFileSync(file, 'utf8') !== p.value) conflicts.push(p);
        continue;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, p.value);
    }
    return conflicts;
  }

  writeTags(info: LocalRunInfo, tags: readonly KeyValue[]): void {
    for (const t of tags) {
      const file = path.join(info.dir, 'tags', t.key);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, t.value);
    }
  }

  /** Appends points, one file append per metric key, in the order given. */
  async appendMetrics(info: LocalRunInfo, points: readonly MetricPoint[]): Promise<void> {
    const byKey = new Map<string, string[]>();
    for (const p of points) {
      const lines = byKey.get(p.key) ?? [];
      lines.push(`${Math.round(p.timestamp)} ${formatMetricValue(p.value)} ${Math.round(p.step)}\n`);
      byKey.set(p.key, lines);
    }
    for (const [key, lines] of byKey) {
      const file = path.join(info.dir, 'metrics', key);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      await fs.promises.appendFile(file, lines.join(''));
    }
  }

  readParams(info: LocalRunInfo): Record<string, string> {
    return readKeyFiles(path.join(info.dir, 'params'));
  }

  readTags(info: LocalRunInfo): Record<string, string> {
    return readKeyFiles(path.join(info.dir, 'tags'));
  }

  metricKeys(info: LocalRunInfo): string[] {
    return listKeyFiles(path.join(info.dir, 'metrics'));
  }

  readMetricHistory(info: LocalRunInfo, key: string): MetricPoint[] {
    const file = path.join(info.dir, 'metrics', key);
    if (!fs.existsSync(file)) return [];
    const points: MetricPoint[] = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const parts = line.trim().split(' ');
      if (parts.length < 2 || !parts[0]) continue;
      points.push({ key, timestamp: Number(parts[0]), value: parseMetricValue(parts[1]), step: parts.length >= 3 ? Number(parts[2]) : 0 });
    }
    return points;
  }

  /** The run's artifact folder (the one its artifact_uri names, or the run's own if that moved). */
  artifactDir(info: LocalRunInfo): string {
    if (info.artifactUri.startsWith('file:')) {
      const p = fileURLToPath(info.artifactUri);
      if (fs.existsSync(p)) return p;
    }
    return path.join(info.dir, 'artifacts');
  }

  /** Copies a file (or a folder, recursively) to `artifactPath` under the run's artifacts. */
  async copyArtifact(info: LocalRunInfo, localPath: string, artifactPath: string): Promise<void> {
    const dest = path.join(this.artifactDir(info), artifactPath);
    if (!path.resolve(dest).startsWith(path.resolve(this.artifactDir(info)) + path.sep)) {
      throw new TrackingError(`artifact path "${artifactPath}" leaves the run's artifact folder`);
    }
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    await fs.promises.cp(localPath, dest, { recursive: true, force: true });
  }

  /** Every artifact file: path relative to the artifact root → size in bytes. */
  artifactFiles(info: LocalRunInfo): Map<string, number> {
    const root = this.artifactDir(info);
    const out = new Map<string, number>();
    for (const rel of listKeyFiles(root)) out.set(rel, fs.statSync(path.join(root, rel)).size);
    return out;
  }

  private writeRunMeta(info: LocalRunInfo): void {
    const fields: Record<string, YamlScalar> = {
      artifact_uri: info.artifactUri,
      end_time: info.endTime,
      entry_point_name: '',
      experiment_id: info.experimentId,
      lifecycle_stage: info.lifecycleStage,
      run_id: info.runId,
      run_name: info.runName,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: info.startTime,
      status: STATUS_CODES[info.status],
      tags: [],
      user_id: userName(),
    };
    const file = path.join(info.dir, META);
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, writeFlatYaml(fields));
    fs.renameSync(tmp, file);
  }

  private readRunInfo(dir: string): LocalRunInfo | undefined {
    const meta = this.readMeta(dir);
    if (!meta || !meta.run_id) return undefined;
    const status = typeof meta.status === 'number' ? STATUS_NAMES[meta.status] : (String(meta.status) as MlflowRunStatus);
    return {
      runId: String(meta.run_id),
      experimentId: String(meta.experiment_id),
      runName: String(meta.run_name ?? ''),
      status: status ?? 'RUNNING',
      startTime: Number(meta.start_time ?? 0),
      endTime: meta.end_time === null || meta.end_time === undefined ? null : Number(meta.end_time),
      lifecycleStage: String(meta.lifecycle_stage ?? 'active'),
      dir,
      artifactUri: String(meta.artifact_uri ?? pathToFileURL(path.join(dir, 'artifacts')).href),
    };
  }

  private readMeta(dir: string): Record<string, YamlScalar> | undefined {
    const file = path.join(dir, META);
    if (!fs.existsSync(file)) return undefined;
    return readFlatYaml(fs.readFileSync(file, 'utf8'));
  }
}

export function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Files under `dir`, recursively, as `/`-separated relative paths (MLflow keys). */
function listKeyFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

function readKeyFiles(dir: string): Record<string, string> {
  return Object.fromEntries(listKeyFiles(dir).map((k) => [k, fs.readFileSync(path.join(dir, k), 'utf8')]));
}
