import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { AUTO_ORDER, probeBackends, selectBackend, SETUP_COMMAND, type BackendCandidate, type BackendName, type BackendProbe } from '../../core/backend';
import { activateTfBackend } from '../../core/backend/tfjs-engine';
import { BackendError } from '../../core/errors';
import { Logger } from '../../core/logger';
import { nativeTested } from '../helpers/backends';

/** A logger whose lines land in an array. */
function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger('info', { write: (line: string) => void lines.push(line.trimEnd()) }), lines };
}

/** A candidate whose probe says what it is told, recording every call in `calls`. */
function fakeCandidate(name: BackendName, probe: Omit<BackendProbe, 'name'>, calls: string[], activate: () => Promise<void> = async () => {}): BackendCandidate {
  return {
    name,
    probe: async () => {
      calls.push(`probe ${name}`);
      return { name, ...probe };
    },
    activate: async () => {
      calls.push(`activate ${name}`);
      await activate();
    },
  };
}

/** The real cpu candidate, wrapped to record its calls. */
function realCpu(calls: string[]): BackendCandidate {
  return {
    name: 'cpu',
    probe: async () => {
      calls.push('probe cpu');
      return { name: 'cpu', available: true, reason: 'pure JavaScript' };
    },
    activate: async () => {
      calls.push('activate cpu');
      await activateTfBackend('cpu');
    },
  };
}

/** A 3x4 by 4x2 product computed with plain loops: the independent reference. */
const A = [0.5, -1, 2, 0.25, 3, 0, -0.5, 1.5, -2, 1, 0.75, -1.25];
const B = [1, -0.5, 0.25, 2, -1, 0.5, 1.5, -0.75];
function referenceProduct(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) out.push([0, 1, 2, 3].reduce((s, k) => s + A[i * 4 + k] * B[k * 2 + j], 0));
  return out;
}
async function productOnSelectedBackend(): Promise<number[]> {
  const c = tf.tidy(() => tf.matMul(tf.tensor2d(A, [3, 4]), tf.tensor2d(B, [4, 2])));
  const values = Array.from(await c.data());
  c.dispose();
  return values;
}
function assertClose(actual: number[], expected: number[], tolerance: number): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tolerance, `element ${i}: ${v} vs ${expected[i]}`));
}

describe('core/backend', () => {
  let original: string;
  before(() => {
    original = tf.getBackend();
  });
  afterEach(async () => {
    if (tf.getBackend() !== original) await tf.setBackend(original);
  });

  it('selects the real cpu backend when asked for cpu, and logs why', async () => {
    const { log, lines } = capturingLogger();
    const selection = await selectBackend('cpu', log);
    assert.equal(selection.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(selection.probes.map((p) => p.name), ['cpu']);
    assert.match(lines.join('\n'), /backend cpu: pure JavaScript/);
    assertClose(await productOnSelectedBackend(), referenceProduct(), 1e-6);
  });

  it('auto walks tensorflow, webgpu, wasm, cpu and logs why each earlier one was skipped', async () => {
    assert.deepEqual([...AUTO_ORDER], ['tensorflow', 'webgpu', 'wasm', 'cpu']);
    const calls: string[] = [];
    const candidates = [
      fakeCandidate('tensorflow', { available: false, reason: 'fake: addon missing' }, calls),
      fakeCandidate('webgpu', { available: false, reason: 'fake: no adapter' }, calls),
      fakeCandidate('wasm', { available: true, reason: 'fake wasm' }, calls, async () => {
        throw new Error('fake: module failed to instantiate');
      }),
      realCpu(calls),
    ];
    const { log, lines } = capturingLogger();
    const selection = await selectBackend('auto', log, candidates);

    assert.equal(selection.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(calls, ['probe tensorflow', 'probe webgpu', 'probe wasm', 'activate wasm', 'probe cpu', 'activate cpu']);
    assert.deepEqual(selection.probes.map((p) => [p.name, p.available]), [['tensorflow', false], ['webgpu', false], ['wasm', false], ['cpu', true]]);
    const logged = lines.map((l) => l.replace(/^\S+ INFO /, ''));
    assert.deepEqual(logged, [
      'backend tensorflow skipped: fake: addon missing',
      'backend webgpu skipped: fake: no adapter',
      'backend wasm skipped: fake wasm, but starting it failed: fake: module failed to instantiate',
      'backend cpu (auto): pure JavaScript',
    ]);
  });

  it('auto stops at the first backend that starts and probes nothing after it', async () => {
    const calls: string[] = [];
    const candidates = [
      fakeCandidate('tensorflow', { available: false, reason: 'fake: absent' }, calls),
      fakeCandidate('webgpu', { available: true, reason: 'fake gpu' }, calls),
      fakeCandidate('wasm', { available: true, reason: 'fake wasm' }, calls),
      realCpu(calls),
    ];
    const selection = await selectBackend('auto', capturingLogger().log, candidates);
    assert.equal(selection.name, 'webgpu');
    assert.deepEqual(calls, ['probe tensorflow', 'probe webgpu', 'activate webgpu']);
  });

  it('a named backend that is unavailable fails with a BackendError naming it and the reason, trying nothing else', async () => {
    const calls: string[] = [];
    const candidates = AUTO_ORDER.map((name) => fakeCandidate(name, { available: name !== 'webgpu', reason: name === 'webgpu' ? 'fake: Dawn found no adapter' : 'fake' }, calls));
    const before = tf.getBackend();
    await assert.rejects(selectBackend('webgpu', capturingLogger().log, candidates), (err: unknown) => {
      assert.ok(err instanceof BackendError, String(err));
      assert.match(err.message, /backend "webgpu" is not available: fake: Dawn found no adapter/);
      return true;
    });
    assert.deepEqual(calls, ['probe webgpu']);
    assert.equal(tf.getBackend(), before);
  });

  it('auto with no working backend fails with every backend and reason listed', async () => {
    const calls: string[] = [];
    const candidates = AUTO_ORDER.map((name) => fakeCandidate(name, { available: false, reason: `fake: no ${name}` }, calls));
    await assert.rejects(selectBackend('auto', capturingLogger().log, candidates), (err: unknown) => {
      assert.ok(err instanceof BackendError);
      for (const name of AUTO_ORDER) assert.ok(err.message.includes(`${name}: fake: no ${name}`), err.message);
      return true;
    });
  });

  it('a backend whose initialisation fails leaves the previous backend selected and working', async () => {
    tf.registerBackend('slipkit-test-broken', () => {
      throw new Error('deliberately broken backend');
    });
    try {
      const before = tf.getBackend();
      await assert.rejects(activateTfBackend('slipkit-test-broken'), /deliberately broken backend/);
      assert.equal(tf.getBackend(), before);
      assertClose(await productOnSelectedBackend(), referenceProduct(), 1e-6);
    } finally {
      tf.removeBackend('slipkit-test-broken');
    }
  });

  it('probes every real backend with a reason, leaving the selected backend and tensor count alone', async () => {
    const before = tf.getBackend();
    const tensors = tf.memory().numTensors;
    const probes = await probeBackends();
    assert.equal(tf.getBackend(), before);
    assert.equal(tf.memory().numTensors, tensors);
    assert.deepEqual(probes.map((p) => p.name), [...AUTO_ORDER]);
    for (const p of probes) assert.ok(p.reason.length > 0, `${p.name} has no reason`);
    const byName = new Map(probes.map((p) => [p.name, p]));
    assert.equal(byName.get('cpu')?.available, true);
    assert.equal(byName.get('wasm')?.available, true, byName.get('wasm')?.reason);

    const tensorflow = byName.get('tensorflow')!;
    if (nativeTested()) {
      assert.equal(tensorflow.available, true, tensorflow.reason);
      assert.match(tensorflow.details?.libtensorflow ?? '', /PyPI tensorflow-cpu/);
    } else {
      assert.equal(tensorflow.available, false);
      assert.ok(tensorflow.reason.includes(SETUP_COMMAND), tensorflow.reason);
    }
  });

  it("runs a matmul on 'tensorflow' equal to cpu's when provisioned, and otherwise refuses it naming the setup command", async () => {
    await tf.setBackend('cpu');
    const onCpu = await productOnSelectedBackend();
    assertClose(onCpu, referenceProduct(), 1e-6);
    if (nativeTested()) {
      const selection = await selectBackend('tensorflow', capturingLogger().log);
      assert.equal(selection.name, 'tensorflow');
      assert.equal(tf.getBackend(), 'tensorflow');
      assertClose(await productOnSelectedBackend(), onCpu, 1e-5);
    } else {
      await assert.rejects(selectBackend('tensorflow', capturingLogger().log), (err: unknown) => {
        assert.ok(err instanceof BackendError);
        assert.match(err.message, /backend "tensorflow" is not available/);
        assert.ok(err.message.includes(SETUP_COMMAND), err.message);
        return true;
      });
      assert.equal(tf.getBackend(), 'cpu');
    }
  });

  it('runs on wasm, where one-hot targets must be cast rather than built as float32', async () => {
    await selectBackend('wasm', capturingLogger().log);
    assert.equal(tf.getBackend(), 'wasm');
    assertClose(await productOnSelectedBackend(), referenceProduct(), 1e-5);
    const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d([2, 0], 'int32'), 3).cast('float32'));
    assert.deepEqual(Array.from(await oneHot.data()), [0, 0, 1, 1, 0, 0]);
    oneHot.dispose();
  });
});
