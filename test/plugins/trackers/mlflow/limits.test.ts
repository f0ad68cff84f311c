import { strict as assert } from 'node:assert';
import type { LogBatchRequest } from '../../../../plugins/trackers/mlflow/api-types';
import { capValue, fromJsonDouble, isValidKey, MLFLOW_LIMITS, sanitizeKey, splitLogBatch, toJsonDouble, VALID_KEY } from '../../../../plugins/trackers/mlflow/limits';
import type { KeyValue, LogBatch, MetricPoint } from '../../../../plugins/trackers/mlflow/types';

/** The log-batch body the client would send for a chunk: the size the server checks. */
function bodyBytes(chunk: LogBatch): number {
  const body: LogBatchRequest = {
    run_id: 'f'.repeat(32),
    metrics: chunk.metrics.map((m) => ({ key: m.key, value: toJsonDouble(m.value), timestamp: m.timestamp, step: m.step })),
    params: chunk.params,
    tags: chunk.tags,
  };
  return Buffer.byteLength(JSON.stringify(body));
}

function assertWithinLimits(chunks: LogBatch[]): void {
  for (const c of chunks) {
    assert.ok(c.metrics.length <= 1000, `${c.metrics.length} metrics`);
    assert.ok(c.params.length <= 100, `${c.params.length} params`);
    assert.ok(c.tags.length <= 100, `${c.tags.length} tags`);
    assert.ok(c.metrics.length + c.params.length + c.tags.length <= 1000, 'entities');
    assert.ok(bodyBytes(c) <= 1_000_000, `${bodyBytes(c)} bytes`);
  }
}

/** Python's posixpath.normpath, for the keys the server's path check compares against. */
function normpath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && parts.length && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(seg);
  }
  return (p.startsWith('/') ? '/' : '') + parts.join('/') || '.';
}

/** The server's acceptance rule for a metric/param/tag key (mlflow/utils/validation.py). */
function serverAccepts(key: string): boolean {
  const norm = normpath(key);
  return VALID_KEY.test(key) && key.length <= 250 && norm === key && norm !== '.' && !norm.startsWith('..') && !norm.startsWith('/');
}

describe('mlflow limits: keys', () => {
  it('leaves valid keys alone', () => {
    for (const k of ['loss', 'zero-shot/top1', 'objectives.1.temperature', 'img_per_s', 'eval knn/top1', 'a.b-c_d']) {
      assert.equal(sanitizeKey(k), k);
      assert.ok(isValidKey(k));
    }
  });

  it('replaces characters MLflow refuses', () => {
    assert.equal(sanitizeKey('acc@1'), 'acc_1');
    assert.equal(sanitizeKey('lr(peak)'), 'lr_peak_');
    assert.equal(sanitizeKey('température'), 'temp_rature');
    assert.equal(sanitizeKey('a:b'), 'a_b');
  });

  it('normalises keys the server treats as paths', () => {
    assert.equal(sanitizeKey('a//b'), 'a/b');
    assert.equal(sanitizeKey('/a'), 'a');
    assert.equal(sanitizeKey('a/'), 'a');
    assert.equal(sanitizeKey('./a/./b'), 'a/b');
    assert.equal(sanitizeKey('../x'), '__/x');
    assert.equal(sanitizeKey('..x'), '_..x');
    assert.equal(sanitizeKey('.'), '_');
    assert.equal(sanitizeKey(''), '_');
  });

  it('cuts long keys to 250 characters and keeps distinct keys distinct', () => {
    const a = 'm/'.repeat(100) + 'x'.repeat(100) + 'a';
    const b = 'm/'.repeat(100) + 'x'.repeat(100) + 'b';
    const sa = sanitizeKey(a);
    const sb = sanitizeKey(b);
    assert.equal(sa.length, 250);
    assert.notEqual(sa, sb);
    assert.equal(sanitizeKey(a), sa, 'deterministic');
  });

  it('always produces a key the server accepts', () => {
    const nasty = ['a//b', '/x', 'y/', '../../etc/passwd', '..', '...', 'a/../b', 'é/ü', 'k'.repeat(400), '/'.repeat(300) + 'z', ' ', 'a/ /b', 'tab\there', `${'a/'.repeat(124)}bb`];
    for (const k of nasty) {
      const s = sanitizeKey(k);
      assert.ok(serverAccepts(s), `${JSON.stringify(k)} → ${JSON.stringify(s)}`);
      assert.ok(isValidKey(s));
      assert.equal(sanitizeKey(s), s, 'idempotent');
    }
  });
});

describe('mlflow limits: values', () => {
  it('cuts param values at 6000 characters', () => {
    assert.deepEqual(capValue('x'.repeat(6000), 6000), { value: 'x'.repeat(6000), cut: false });
    const cut = capValue('y'.repeat(6001), MLFLOW_LIMITS.paramValueChars);
    assert.equal(cut.cut, true);
    assert.equal(cut.value.length, 6000);
  });

  it('counts characters as the Python server does and never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(6000); // 6000 code points, 12000 UTF-16 units
    assert.deepEqual(capValue(emoji, 6000), { value: emoji, cut: false });
    const cut = capValue(emoji + '😀', 6000);
    assert.equal(Array.from(cut.value).length, 6000);
    assert.equal(cut.value, emoji);
  });

  it('encodes non-finite metric values as MLflow JSON strings and back', () => {
    assert.equal(toJsonDouble(NaN), 'NaN');
    assert.equal(toJsonDouble(Infinity), 'Infinity');
    assert.equal(toJsonDouble(-Infinity), '-Infinity');
    assert.equal(toJsonDouble(0.25), 0.25);
    assert.ok(Number.isNaN(fromJsonDouble('NaN')));
    assert.equal(fromJsonDouble('-Infinity'), -Infinity);
    assert.equal(fromJsonDouble(1.5), 1.5);
  });
});

describe('mlflow limits: splitting log-batch requests', () => {
  const metrics = (n: number, key = 'loss'): MetricPoint[] => Array.from({ length: n }, (_, i) => ({ key, value: i / 7, timestamp: 1_700_000_000_000 + i, step: i }));
  const kvs = (n: number, prefix: string, valueChars = 8): KeyValue[] => Array.from({ length: n }, (_, i) => ({ key: `${prefix}.${i}`, value: String(i).padEnd(valueChars, 'v') }));

  it('splits 5000 metrics into five requests of 1000, in order', () => {
    const input = metrics(5000);
    const chunks = splitLogBatch({ metrics: input, params: [], tags: [] });
    assert.deepEqual(chunks.map((c) => c.metrics.length), [1000, 1000, 1000, 1000, 1000]);
    assert.deepEqual(chunks.flatMap((c) => c.metrics), input);
    assertWithinLimits(chunks);
  });

  it('puts at most 100 params and 100 tags in a request', () => {
    const chunks = splitLogBatch({ metrics: [], params: kvs(250, 'p'), tags: kvs(130, 't') });
    assert.deepEqual(chunks.map((c) => [c.params.length, c.tags.length]), [[100, 0], [100, 0], [50, 100], [0, 30]]);
    assertWithinLimits(chunks);
  });

  it('keeps mixed requests under 1000 entities', () => {
    const chunks = splitLogBatch({ metrics: metrics(1950), params: kvs(60, 'p'), tags: kvs(40, 't') });
    assertWithinLimits(chunks);
    assert.equal(chunks.reduce((n, c) => n + c.metrics.length, 0), 1950);
    assert.equal(chunks[0].metrics.length + chunks[0].params.length + chunks[0].tags.length, 1000);
  });

  it('keeps every request body under 1 MB', () => {
    // 100 params of 6000 chars + 100 tags of 8000 chars is 1.4 MB: it must not travel as one request.
    const batch = { metrics: metrics(1000, 'k'.repeat(240)), params: kvs(100, 'p', 6000), tags: kvs(100, 't', 8000) };
    const chunks = splitLogBatch(batch);
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    assertWithinLimits(chunks);
    assert.deepEqual(chunks.flatMap((c) => c.params), batch.params);
    assert.deepEqual(chunks.flatMap((c) => c.tags), batch.tags);
    assert.deepEqual(chunks.flatMap((c) => c.metrics), batch.metrics);
  });

  it('returns no request for an empty batch', () => {
    assert.deepEqual(splitLogBatch({ metrics: [], params: [], tags: [] }), []);
  });
});
