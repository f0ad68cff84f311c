import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogBatchRequest } from '../../../../plugins/trackers/mlflow/api-types';
import { LocalStore } from '../../../../plugins/trackers/mlflow/local-store';
import { MlflowRestClient } from '../../../../plugins/trackers/mlflow/rest-client';
import { readRunState, writeRunState } from '../../../../plugins/trackers/mlflow/run-state';
import { replayRunDir, SOURCE_RUN_TAG } from '../../../../plugins/trackers/mlflow/sync';
import { freePort } from '../../../helpers/mlflow-server';
import { asRecord, buildMlflowTracker, ENGINE_TAGS, MemoryLog, runCli, useMlflowServer } from '../tracker-fixtures';



/** `slipkit sync`: replaying a run's outbox, and uploading the local store, against a real server. */
describe('slipkit sync against a real MLflow server', function () {
  this.timeout(60_000);
  const live = useMlflowServer('sync');

  it('replays a run recorded while its server was unreachable (slipkit sync <run-dir>), once', async () => {
    const mem = new MemoryLog();
    const runDir = path.join(live.root, 'offline');
    const deadUri = `http://127.0.0.1:${await freePort()}`;
    const tracker = buildMlflowTracker({ uri: deadUri, experiment: 'sync-exp', flushIntervalMs: 20, maxRetries: 0, retryInitialMs: 1, retryMaxMs: 1 }, mem.logger);
    await tracker.start({ runDir, name: 'offline-run', experiment: 'x', resumed: false });
    await tracker.logParams({ 'train.steps': '30' });
    await tracker.setTags(ENGINE_TAGS);
    for (let step = 0; step < 30; step++) tracker.logMetrics({ loss: 30 - step }, step, 9_000 + step);
    const art = path.join(runDir, 'spec.resolved.json');
    fs.writeFileSync(art, '{"name":"offline-run"}');
    await tracker.logArtifact(art, 'spec.resolved.json');
    await tracker.end('FINISHED');
    assert.equal(mem.matching(/not delivered to .*run "slipkit sync /).length, 1, mem.text);
    assert.equal(readRunState(runDir)?.runId, undefined, 'the run could not even be created');

    const first = await runCli(['sync', runDir, '--to', live.server.uri]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /sent \d+ operation\(s\), 0 refused, 0 left/);
    const runId = readRunState(runDir)?.runId;
    assert.ok(runId);
    const run = await live.api.getRun(runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.info.run_name, 'offline-run');
    assert.equal(asRecord(run.data.params)['train.steps'], '30');
    assert.equal(asRecord(run.data.tags)['slipkit.spec_hash'], ENGINE_TAGS['slipkit.spec_hash']);
    const history = await live.api.getMetricHistory(runId, 'loss');
    assert.deepEqual(history.map((p) => [p.step, p.timestamp, p.value]), Array.from({ length: 30 }, (_, s) => [s, 9_000 + s, 30 - s]));
    assert.deepEqual(await live.api.downloadArtifact(run.info.artifact_uri, 'spec.resolved.json'), fs.readFileSync(art));

    const again = await runCli(['sync', runDir]); // now the recorded server is the real one
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /sent 0 operation\(s\)/);
    assert.equal((await live.api.getMetricHistory(runId, 'loss')).length, 30);
  });

  it('does not resend points that arrived before a crash cut the acknowledgement', async () => {
    const runDir = path.join(live.root, 'crashed');
    const tracker = buildMlflowTracker({ uri: live.server.uri, experiment: 'sync-exp', flushIntervalMs: 600_000 }, new MemoryLog().logger);
    await tracker.start({ runDir, name: 'crashed', experiment: 'x', resumed: false });
    for (let step = 0; step < 2500; step++) tracker.logMetrics({ loss: step }, step, 20_000 + step);
    await tracker.end('FINISHED');
    const state = readRunState(runDir)!;
    // The process "died" after the server stored everything but before acknowledging the
    // last three log-batch requests (1000 + 500 points) and the end of the run.
    writeRunState(runDir, { ...state, ackedSeq: state.ackedSeq - 3 });

    const client = new MlflowRestClient({ uri: live.server.uri });
    const resent: number[] = [];
    client.http.interceptors.request.use((config) => {
      if (config.url?.endsWith('/runs/log-batch')) resent.push((config.data as LogBatchRequest).metrics.length);
      return config;
    });
    const result = await replayRunDir(runDir, client, new MemoryLog().logger);
    assert.equal(result.outcome, 'delivered');
    assert.equal(result.sent, 3);
    assert.deepEqual(resent.filter((n) => n > 0), [], 'no metric point is sent twice');
    const history = await live.api.getMetricHistory(state.runId!, 'loss');
    assert.equal(history.length, 2500);
    assert.equal(new Set(history.map((p) => p.step)).size, 2500);
  });

  it('uploads local-store runs (slipkit sync --to) idempotently', async () => {
    const store = path.join(live.root, 'mlruns');
    const runDir = path.join(live.root, 'local-run');
    const opts = { localDir: store, experiment: 'local-up', flushIntervalMs: 20 };
    const t = buildMlflowTracker(opts, new MemoryLog().logger);
    await t.start({ runDir, name: 'local-run', experiment: 'x', resumed: false });
    await t.logParams({ lr: '0.003', 'objectives.0.type': 'clip' });
    await t.setTags(ENGINE_TAGS);
    for (let step = 0; step < 1200; step++) t.logMetrics({ loss: 1 / (step + 1), 'eval/top1': step / 1200 }, step, 30_000 + step);
    const plot = path.join(live.root, 'plot.png');
    fs.writeFileSync(plot, Buffer.alloc(2048, 3));
    await t.logArtifact(plot, 'plots/loss.png');
    await t.end('KILLED');

    const first = await runCli(['sync', '--to', live.server.uri, '--dir', store]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /local-up\/local-run \w+ -> \w+ \(new\): 2 param\(s\), \d+ tag\(s\), 2400 metric point\(s\), 1 artifact\(s\) sent/);
    const localId = readRunState(runDir)!.runId!;
    const exp = await live.api.getExperimentByName('local-up');
    const found = await live.api.searchRuns({ experiment_ids: [exp!.experiment_id], filter: `tags.\`${SOURCE_RUN_TAG}\` = '${localId}'` });
    assert.equal(found.length, 1);
    const remote = await live.api.getRun(found[0].info.run_id);
    assert.equal(remote.info.status, 'KILLED');
    assert.deepEqual(asRecord(remote.data.params), { lr: '0.003', 'objectives.0.type': 'clip' });
    assert.equal(asRecord(remote.data.tags)['slipkit.host'], ENGINE_TAGS['slipkit.host']);
    const local = new LocalStore(store);
    const info = local.getRun(localId)!;
    for (const key of ['loss', 'eval/top1']) {
      assert.deepEqual((await live.api.getMetricHistory(remote.info.run_id, key)).map((p) => [p.step, p.timestamp, p.value]), local.readMetricHistory(info, key).map((p) => [p.step, p.timestamp, p.value]), key);
    }
    assert.deepEqual(await live.api.downloadArtifact(remote.info.artifact_uri, 'plots/loss.png'), fs.readFileSync(plot));

    const second = await runCli(['sync', '--to', live.server.uri, '--dir', store]);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /local-up\/local-run \w+ -> \w+: 0 param\(s\), 0 tag\(s\), 0 metric point\(s\), 0 artifact\(s\) sent/);
    assert.equal((await live.api.getMetricHistory(remote.info.run_id, 'loss')).length, 1200, 'no duplicates');

    // The run goes on locally; the next upload sends only the new points (via the run dir form).
    const more = buildMlflowTracker(opts, new MemoryLog().logger);
    await more.start({ runDir, name: 'local-run', experiment: 'x', resumed: true });
    for (let step = 1200; step < 1250; step++) more.logMetrics({ loss: 1 / (step + 1) }, step, 30_000 + step);
    await more.end('FINISHED');
    const third = await runCli(['sync', runDir, '--to', live.server.uri]);
    assert.equal(third.code, 0, third.err);
    assert.match(third.out, /: 0 param\(s\), 0 tag\(s\), 50 metric point\(s\), 0 artifact\(s\) sent/);
    assert.equal((await live.api.getMetricHistory(remote.info.run_id, 'loss')).length, 1250);
    assert.equal((await live.api.getRun(remote.info.run_id)).info.status, 'FINISHED');
  });

  it('refuses credentials in a URI and says what to sync', async () => {
    const withCreds = await runCli(['sync', '--to', 'http://ann:pw-xyz@127.0.0.1:1']);
    assert.equal(withCreds.code, 1);
    assert.match(withCreds.err, /credentials in the tracking URI are not accepted/);
    assert.ok(!withCreds.err.includes('pw-xyz'));
    const nothing = await runCli(['sync']);
    assert.equal(nothing.code, 1);
    assert.match(nothing.err, /a run directory, or --to <uri>/);
  });
});
