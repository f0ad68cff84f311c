import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MlflowApiError, MlflowUnreachableError } from '../../../../plugins/trackers/mlflow/errors';
import { artifactRootPath, MlflowRestClient } from '../../../../plugins/trackers/mlflow/rest-client';
import { backoffDelayMs, isRetryableStatus, type RetryPolicy } from '../../../../plugins/trackers/mlflow/retry';
import { freePort } from '../../../helpers/mlflow-server';

/**
 * The transport rules (retry, backoff, error reporting, auth) against a scripted loopback
 * HTTP server: each request gets the next scripted answer. The endpoints themselves are
 * tested against a real MLflow server in test/plugins/trackers/mlflow.test.ts.
 */
interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

async function scriptedServer(answers: Answer[]): Promise<{ uri: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const a = answers.shift() ?? { status: 200, body: '{}' };
      res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
      res.end(a.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

const policy: RetryPolicy = { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 1000 };

function client(uri: string, waits: number[], extra: Partial<ConstructorParameters<typeof MlflowRestClient>[0]> = {}): MlflowRestClient {
  return new MlflowRestClient({ uri, retry: policy, random: () => 0.5, sleep: async (ms) => void waits.push(ms), ...extra });
}

const batch = { metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }], params: [], tags: [] };

describe('mlflow REST client transport', () => {
  it('retries 503 and 429 with growing jittered waits, then succeeds', async () => {
    const srv = await scriptedServer([{ status: 503, body: 'busy' }, { status: 429, body: '{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}' }, { status: 200 }]);
    const waits: number[] = [];
    try {
      await client(srv.uri, waits).logBatch('r1', batch);
      assert.equal(srv.seen.length, 3);
      assert.deepEqual(waits, [75, 150]); // ceilings 100, 200 → half + 0.5 × half
      assert.equal(srv.seen[0].url, '/api/2.0/mlflow/runs/log-batch');
      assert.deepEqual(JSON.parse(srv.seen[2].body), { run_id: 'r1', metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }], params: [], tags: [] });
    } finally {
      await srv.close();
    }
  });

  it('honours Retry-After, bounded by the longest wait', async () => {
    const srv = await scriptedServer([{ status: 429, headers: { 'Retry-After': '0.3' } }, { status: 503, headers: { 'Retry-After': '60' } }, { status: 200 }]);
    const waits: number[] = [];
    try {
      await client(srv.uri, waits).logBatch('r1', batch);
      assert.deepEqual(waits, [300, 1000]);
    } finally {
      await srv.close();
    }
  });

  it('reports a final 400 at once with MLflow error_code and message', async () => {
    const body = JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid value \"a//b\" for parameter 'metrics[0].name'" });
    const srv = await scriptedServer([{ status: 400, body }]);
    const waits: number[] = [];
    try {
      const err = await client(srv.uri, waits).logBatch('r1', batch).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof MlflowApiError);
      assert.equal(err.status, 400);
      assert.equal(err.errorCode, 'INVALID_PARAMETER_VALUE');
      assert.equal(err.transient, false);
      assert.match(err.message, /runs\/log-batch failed: 400 INVALID_PARAMETER_VALUE: Invalid value "a\/\/b"/);
      assert.equal(srv.seen.length, 1, 'a 400 is not retried');
      assert.deepEqual(waits, []);
    } finally {
      await srv.close();
    }
  });

  it('gives up on persistent 5xx after the retry budget, marked transient', async () => {
    const srv = await scriptedServer(Array.from({ length: 4 }, () => ({ status: 502, body: '<html>Bad Gateway</html>' })));
    const waits: number[] = [];
    try {
      const err = await client(srv.uri, waits).getRun('r1').then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof MlflowApiError);
      assert.equal(err.transient, true);
      assert.equal(err.errorCode, 'HTTP_502');
      assert.match(err.serverMessage, /Bad Gateway/);
      assert.equal(srv.seen.length, 4);
      assert.deepEqual(waits, [75, 150, 300]);
    } finally {
      await srv.close();
    }
  });

  it('retries refused connections and then reports the server unreachable (nothing delivered)', async () => {
    const port = await freePort();
    const waits: number[] = [];
    const err = await client(`http://127.0.0.1:${port}`, waits).logBatch('r1', batch).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof MlflowUnreachableError);
    assert.equal(err.attempts, 4);
    assert.equal(err.maybeDelivered, false);
    assert.match(err.message, /ECONNREFUSED/);
    assert.equal(waits.length, 3);
  });

  it('sends the Authorization header and never puts credentials in errors', async () => {
    const srv = await scriptedServer([{ status: 200, body: '{"experiment":{"experiment_id":"7","name":"e"}}' }, { status: 403, body: '{"error_code":"PERMISSION_DENIED","message":"no"}' }]);
    try {
      const c = client(srv.uri, [], { credentials: { kind: 'basic', username: 'ann', password: 'pw-s3cret' } });
      assert.equal((await c.getExperimentByName('e'))?.experiment_id, '7');
      const err = await c.getRun('r').then(() => undefined, (e: unknown) => e);
      assert.equal(srv.seen[0].authorization, `Basic ${Buffer.from('ann:pw-s3cret').toString('base64')}`);
      assert.equal(srv.seen[0].url, '/api/2.0/mlflow/experiments/get-by-name?experiment_name=e');
      assert.ok(err instanceof MlflowApiError);
      assert.ok(!`${err.message} ${err.stack}`.includes('pw-s3cret'));
      assert.ok(!JSON.stringify(err).includes(Buffer.from('ann:pw-s3cret').toString('base64')));
      const bearer = client(srv.uri, [], { credentials: { kind: 'bearer', token: 'tok-1' } });
      await bearer.logBatch('r', batch);
      assert.equal(srv.seen[2].authorization, 'Bearer tok-1');
    } finally {
      await srv.close();
    }
  });

  it('keeps a path prefix of the tracking URI', async () => {
    const srv = await scriptedServer([{ status: 200 }]);
    try {
      await client(`${srv.uri}/mlflow/`, []).setTag('r', { key: 'k', value: 'v' });
      assert.equal(srv.seen[0].url, '/mlflow/api/2.0/mlflow/runs/set-tag');
    } finally {
      await srv.close();
    }
  });

  it('classifies statuses and bounds backoff', () => {
    for (const s of [408, 429, 500, 502, 503, 504]) assert.ok(isRetryableStatus(s), String(s));
    for (const s of [400, 401, 403, 404, 409]) assert.ok(!isRetryableStatus(s), String(s));
    const p = { maxRetries: 9, initialDelayMs: 500, maxDelayMs: 10_000 };
    for (let retry = 0; retry < 9; retry++) {
      const ceiling = Math.min(10_000, 500 * 2 ** retry);
      assert.equal(backoffDelayMs(retry, p, () => 0), ceiling / 2);
      assert.equal(backoffDelayMs(retry, p, () => 1), ceiling);
    }
  });

  it('maps run artifact URIs to the proxied artifact API, and refuses others clearly', () => {
    assert.equal(artifactRootPath('mlflow-artifacts:/1/abc/artifacts'), '1/abc/artifacts');
    assert.equal(artifactRootPath('mlflow-artifacts://host:5000/1/abc/artifacts/'), '1/abc/artifacts');
    assert.throws(() => artifactRootPath('s3://bucket/1/abc/artifacts'), /does not proxy artifacts/);
  });
});
