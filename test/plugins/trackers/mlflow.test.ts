import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tracker } from '../../../core/contracts/tracker';
import { flattenSpec } from '../../../core/spec/flatten';
import type { ApiRun, LogBatchRequest } from '../../../plugins/trackers/mlflow/api-types';
import { sanitizeKey } from '../../../plugins/trackers/mlflow/limits';
import { Redactor } from '../../../plugins/trackers/shared/redact';
import { MlflowRestClient } from '../../../plugins/trackers/mlflow/rest-client';
import { RestSink } from '../../../plugins/trackers/mlflow/rest-sink';
import { readRunState } from '../../../plugins/trackers/mlflow/run-state';
import { ERROR_TAG, MlflowTracker } from '../../../plugins/trackers/mlflow/tracker';
import { asRecord, buildMlflowTracker, ENGINE_TAGS, FAST_RETRY, MemoryLog, SAMPLE_SPEC, useMlflowServer } from './tracker-fixtures';

/**
 * The mlflow tracker against a real MLflow tracking server (SQLite store, proxied
 * artifacts), everything read back through the REST API.
 */
describe('mlflow tracker against a real MLflow server', function () {
  const live = useMlflowServer('mlflow-tracker');

  const runDirFor = (name: string): string => path.join(live.root, name);
  const runOf = async (runDir: string): Promise<ApiRun> => {
    const state = readRunState(runDir);
    assert.ok(state?.runId, `no run id recorded in ${runDir}`);
    return live.api.getRun(state.runId);
  };

  it('records a short run: params, full metric histories, tags, artifacts and status', async () => {
    const mem = new MemoryLog();
    const runDir = runDirFor('full');
    fs.mkdirSync(runDir, { recursive: true });
    const tracker = buildMlflowTracker({ uri: live.server.uri, experiment: 'slip-tests', flushIntervalMs: 50, ...FAST_RETRY }, mem.logger);
    await tracker.start({ runDir, name: 'slip-tiny', experiment: 'ignored-when-option-set', resumed: false });
    const params = flattenSpec(SAMPLE_SPEC);
    await tracker.logParams(params);
    await tracker.setTags(ENGINE_TAGS);

    const logged: Record<string, { step: number; value: number; timestamp: number }[]> = {};
    const log = (metrics: Record<string, number>, step: number): void => {
      const timestamp = 1_750_000_000_000 + step * 10;
      tracker.logMetrics(metrics, step, timestamp);
      for (const [k, v] of Object.entries(metrics)) (logged[sanitizeKey(k)] ??= []).push({ step, value: v, timestamp });
    };
    for (let step = 0; step < 40; step++) {
      log({ loss: 2 / (step + 1), 'loss/clip': 1 / (step + 1), lr: 0.003 * Math.min(1, step / 10), img_per_s: 100 + step }, step);
      if (step % 20 === 19) log({ 'zero-shot/top1': step / 100, 'knn/top1': NaN, 'eval@5 (val)': 0.5 }, step);
    }
    const specFile = path.join(runDir, 'spec.resolved.json');
    fs.writeFileSync(specFile, JSON.stringify(SAMPLE_SPEC, null, 2));
    const png = path.join(runDir, 'loss.png');
    fs.writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 300 }, (_, i) => i % 256)]));
    const ckpt = path.join(runDir, 'ckpt', 'model.safetensors');
    fs.mkdirSync(path.dirname(ckpt), { recursive: true });
    fs.writeFileSync(ckpt, Buffer.alloc(50_000, 7));
    await tracker.logArtifact(specFile, 'spec.resolved.json');
    await tracker.logArtifact(png, 'loss.png');
    await tracker.logArtifact(ckpt, 'checkpoints/last/model.safetensors');
    const bestDir = path.join(runDir, 'best');
    fs.mkdirSync(path.join(bestDir, 'optim'), { recursive: true });
    fs.writeFileSync(path.join(bestDir, 'step.json'), '{"step":40}');
    fs.writeFileSync(path.join(bestDir, 'optim', 'state.bin'), Buffer.alloc(100, 1));
    await tracker.logArtifact(bestDir, 'checkpoints/best'); // a folder: every file under it
    await tracker.flush();
    await tracker.end('FINISHED');

    const run = await runOf(runDir);
    assert.equal(run.info.status, 'FINISHED');
    assert.ok(Number(run.info.end_time) >= Number(run.info.start_time));
    assert.equal(run.info.run_name, 'slip-tiny');
    const exp = await live.api.getExperimentByName('slip-tests');
    assert.equal(run.info.experiment_id, exp?.experiment_id);

    assert.deepEqual(asRecord(run.data.params), params);
    assert.equal(params['objectives.1.temperature'], '0.1');
    const tags = asRecord(run.data.tags);
    for (const [k, v] of Object.entries(ENGINE_TAGS)) assert.equal(tags[k], v, k);
    assert.equal(tags['mlflow.runName'], 'slip-tiny');
    assert.equal(tags['slipkit.run_dir'], path.resolve(runDir));

    assert.ok(logged['eval_5 _val_'], 'an invalid key is logged under its sanitised name');
    for (const [key, points] of Object.entries(logged)) {
      const history = (await live.api.getMetricHistory(run.info.run_id, key)).sort((a, b) => a.step - b.step);
      assert.deepEqual(
        history.map((p) => ({ step: p.step, value: p.value, timestamp: p.timestamp })),
        points,
        `history of ${key}`,
      );
    }
    assert.ok(!mem.lines.some((l) => /ERROR/.test(l)), mem.text);
    assert.ok(mem.matching(/not a valid MLflow key; logged as "eval_5 _val_"/).length === 1, 'the renamed key is reported once');

    const files = await live.api.listArtifactFiles(run.info.artifact_uri);
    assert.deepEqual([...files.keys()].sort(), ['checkpoints/best/optim/state.bin', 'checkpoints/best/step.json', 'checkpoints/last/model.safetensors', 'loss.png', 'spec.resolved.json']);
    assert.equal(files.get('checkpoints/best/optim/state.bin'), 100);
    for (const [rel, local] of [['spec.resolved.json', specFile], ['loss.png', png], ['checkpoints/last/model.safetensors', ckpt]]) {
      assert.deepEqual(await live.api.downloadArtifact(run.info.artifact_uri, rel), fs.readFileSync(local), rel);
    }
  });

  it('splits 5000 metrics of one flush into log-batch requests within the limits', async () => {
    const runDir = runDirFor('many');
    const client = new MlflowRestClient({ uri: live.server.uri, retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 100 } });
    const bodies: { metrics: number; params: number; tags: number; bytes: number }[] = [];
    client.http.interceptors.request.use((config) => {
      if (config.url?.endsWith('/runs/log-batch')) {
        const body = config.data as LogBatchRequest;
        bodies.push({ metrics: body.metrics.length, params: body.params.length, tags: body.tags.length, bytes: Buffer.byteLength(JSON.stringify(body)) });
      }
      return config;
    });
    const log = new MemoryLog().logger;
    // A long flush interval: all 5000 points wait in memory and go out in the one flush below.
    const tracker = new MlflowTracker(new RestSink(client, log), new Redactor(), log, { flushIntervalMs: 600_000, flushAtPoints: 10_000 });
    await tracker.start({ runDir, name: 'many', experiment: 'slip-tests', resumed: false });
    const t0 = 1_760_000_000_000;
    const started = process.hrtime.bigint();
    for (let step = 0; step < 1000; step++) {
      tracker.logMetrics({ a: step, b: -step, c: step / 3, d: Math.sin(step), e: step % 7 }, step, t0 + step);
    }
    const logMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(logMs < 1000, `logging 5000 points took ${logMs.toFixed(0)} ms: it must not block`);
    assert.equal(bodies.length, 0, 'nothing is sent before the flush');
    await tracker.flush();
    await tracker.end('FINISHED');

    const metricBodies = bodies.filter((b) => b.metrics > 0);
    assert.equal(metricBodies.length, 5, JSON.stringify(bodies));
    for (const b of bodies) {
      assert.ok(b.metrics <= 1000 && b.params <= 100 && b.tags <= 100 && b.metrics + b.params + b.tags <= 1000, JSON.stringify(b));
      assert.ok(b.bytes <= 1_000_000, `${b.bytes} bytes`);
    }
    const run = await runOf(runDir);
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      const history = await live.api.getMetricHistory(run.info.run_id, key);
      assert.equal(history.length, 1000, key);
      assert.deepEqual(history.map((p) => p.step).sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
    }
  });

  it('loses nothing when the server goes down mid-run: every point arrives once, in step order', async function () {
    this.timeout(120_000);
    const mem = new MemoryLog();
    const runDir = runDirFor('outage');
    const tracker = buildMlflowTracker({ uri: live.server.uri, experiment: 'slip-tests', flushIntervalMs: 100, ...FAST_RETRY }, mem.logger);
    await tracker.start({ runDir, name: 'outage', experiment: 'slip-tests', resumed: false });
    await tracker.logParams({ 'train.steps': '150' });
    const t0 = 1_770_000_000_000;
    let step = 0;
    const train = async (until: number): Promise<void> => {
      for (; step < until; step++) {
        const before = process.hrtime.bigint();
        tracker.logMetrics({ loss: 1 / (step + 1) }, step, t0 + step);
        assert.ok(Number(process.hrtime.bigint() - before) / 1e6 < 50, 'logMetrics must not block');
        if (step % 10 === 9) await new Promise((r) => setTimeout(r, 15)); // a training step's worth of time
      }
    };
    await train(50);
    await tracker.flush();
    const runId = readRunState(runDir)?.runId;
    assert.ok(runId);
    assert.equal((await live.api.getMetricHistory(runId, 'loss')).length, 50);

    await live.server.stopProcess();
    await train(100);
    await tracker.flush(); // finds the server down: the points stay in the outbox
    const outbox = path.join(runDir, 'tracking', 'outbox.jsonl');
    assert.ok(fs.readFileSync(outbox, 'utf8').includes('"step":99'), 'points logged during the outage are on disk');
    assert.ok(mem.matching(/WARN.*unreachable.*buffering to .*outbox\.jsonl/).length >= 1, mem.text);

    await live.server.startProcess();
    await train(150);
    await tracker.end('FINISHED');

    const history = await live.api.getMetricHistory(runId, 'loss');
    assert.deepEqual(history.map((p) => p.step), Array.from({ length: 150 }, (_, i) => i), 'each point once, in step order');
    assert.deepEqual(history.map((p) => p.value), Array.from({ length: 150 }, (_, i) => 1 / (i + 1)));
    assert.equal((await live.api.getRun(runId)).info.status, 'FINISHED');
    assert.ok(mem.matching(/is back: delivered \d+ buffered operation/).length >= 1, mem.text);
    const state = readRunState(runDir);
    assert.equal(state?.ackedSeq, (state?.nextSeq ?? 0) - 1, 'the whole outbox is acknowledged');
  });

  it('reports a refused request (400) with MLflow error_code and message, and training goes on', async () => {
    const mem = new MemoryLog();
    const runDir = runDirFor('refused');
    const tracker = buildMlflowTracker({ uri: live.server.uri, experiment: 'slip-tests', flushIntervalMs: 50, ...FAST_RETRY }, mem.logger);
    await tracker.start({ runDir, name: 'refused', experiment: 'slip-tests', resumed: false });
    tracker.logMetrics({ loss: 1 }, 0, 1000);
    await tracker.flush();
    const runId = readRunState(runDir)!.runId!;

    await live.api.deleteRun(runId); // someone deletes the run in the UI while it trains
    assert.doesNotThrow(() => tracker.logMetrics({ loss: 0.5 }, 1, 2000));
    await tracker.flush();
    const errors = mem.matching(/ERROR/);
    assert.equal(errors.length, 1, mem.text);
    assert.match(errors[0], /MLflow refused a log-batch of 1 metric\(s\).*400 INVALID_PARAMETER_VALUE: The run [0-9a-f]+ must be in the 'active' state/);

    await live.api.restoreRun(runId);
    tracker.logMetrics({ loss: 0.25 }, 2, 3000);
    await tracker.end('FAILED', 'TrainingError: loss is NaN at step 3');

    const run = await live.api.getRun(runId);
    assert.equal(run.info.status, 'FAILED');
    assert.equal(asRecord(run.data.tags)[ERROR_TAG], 'TrainingError: loss is NaN at step 3');
    assert.deepEqual((await live.api.getMetricHistory(runId, 'loss')).map((p) => p.step), [0, 2]);
    const rejected = fs.readFileSync(path.join(runDir, 'tracking', 'rejected.jsonl'), 'utf8').trim().split('\n');
    assert.equal(rejected.length, 1);
    assert.match(rejected[0], /INVALID_PARAMETER_VALUE/);
  });

  it('continues the same MLflow run when a run is resumed, without re-logging params', async () => {
    const mem = new MemoryLog();
    const runDir = runDirFor('resume');
    const opts = { uri: live.server.uri, experiment: 'slip-resume', flushIntervalMs: 50, ...FAST_RETRY };
    const first: Tracker = buildMlflowTracker(opts, mem.logger);
    await first.start({ runDir, name: 'resumable', experiment: 'x', resumed: false });
    await first.logParams({ 'train.steps': '20', lr: '0.003' });
    for (let step = 0; step < 10; step++) first.logMetrics({ loss: 10 - step }, step, 5000 + step);
    await first.end('KILLED');
    const runId = readRunState(runDir)!.runId!;
    assert.equal((await live.api.getRun(runId)).info.status, 'KILLED');

    const second: Tracker = buildMlflowTracker(opts, mem.logger);
    await second.start({ runDir, name: 'resumable', experiment: 'x', resumed: true });
    await second.flush(); // start() never waits for the network
    assert.equal((await live.api.getRun(runId)).info.status, 'RUNNING');
    // Same params again, one of them changed: re-logging it would be a 400 on the server.
    await second.logParams({ 'train.steps': '20', lr: '0.001', 'resume.from': 'step 10' });
    for (let step = 10; step < 20; step++) second.logMetrics({ loss: 10 - step }, step, 5000 + step);
    await second.end('FINISHED');

    assert.equal(readRunState(runDir)!.runId, runId);
    const exp = await live.api.getExperimentByName('slip-resume');
    const runs = await live.api.searchRuns({ experiment_ids: [exp!.experiment_id] });
    assert.equal(runs.length, 1, 'no second run');
    const run = await live.api.getRun(runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.deepEqual(asRecord(run.data.params), { 'train.steps': '20', lr: '0.003', 'resume.from': 'step 10' });
    assert.deepEqual((await live.api.getMetricHistory(runId, 'loss')).map((p) => p.step), Array.from({ length: 20 }, (_, i) => i));
    assert.ok(!mem.lines.some((l) => /ERROR/.test(l)), mem.text);
    assert.equal(mem.matching(/param lr was logged as "0.003"; MLflow params cannot change/).length, 1);
  });

  it('never puts credentials in params, tags or logs', async () => {
    const saved = { token: process.env.MLFLOW_TRACKING_TOKEN };
    const token = 'tok-SECRET-7f3a9c';
    process.env.MLFLOW_TRACKING_TOKEN = token;
    try {
      const mem = new MemoryLog('debug');
      const runDir = runDirFor('secrets');
      const tracker = buildMlflowTracker({ uri: live.server.uri, experiment: 'slip-tests', flushIntervalMs: 50, ...FAST_RETRY }, mem.logger);
      await tracker.start({ runDir, name: 'secrets', experiment: 'slip-tests', resumed: false });
      await tracker.logParams({
        ...flattenSpec(SAMPLE_SPEC),
        'data.train.password': 'hunter2-db-pass',
        'data.train.url': 'https://ann:pw-in-url-9@data.example.org/shards',
        note: `copied from a shell: export MLFLOW_TRACKING_TOKEN=${token}`,
        [`key-${token}`]: 'a key that contains the token',
      });
      await tracker.setTags({ ...ENGINE_TAGS, 'ci.apiKey': 'ak-live-123456', cmd: `curl -H "Authorization: Bearer ${token}"` });
      tracker.logMetrics({ loss: 1 }, 0);
      await tracker.end('FAILED', `request with ${token} failed`);

      const run = await runOf(runDir);
      const recorded = JSON.stringify(run.data) + fs.readFileSync(path.join(runDir, 'tracking', 'outbox.jsonl'), 'utf8') + fs.readFileSync(path.join(runDir, 'tracking', 'state.json'), 'utf8');
      for (const secret of [token, 'hunter2-db-pass', 'pw-in-url-9', 'ak-live-123456']) {
        assert.ok(!recorded.includes(secret), `${secret} was recorded`);
        assert.ok(!mem.text.includes(secret), `${secret} was logged`);
      }
      const params = asRecord(run.data.params);
      assert.equal(params['data.train.password'], '***');
      assert.equal(params['data.train.url'], 'https://***@data.example.org/shards');
      assert.equal(params['model.image.preset'], 'tiny', 'ordinary params are untouched');
      assert.ok(mem.lines.length > 0 && mem.matching(/DEBUG/).length > 0, 'debug logging was on');
    } finally {
      if (saved.token === undefined) delete process.env.MLFLOW_TRACKING_TOKEN;
      else process.env.MLFLOW_TRACKING_TOKEN = saved.token;
    }
  });
});
