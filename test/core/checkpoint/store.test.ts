import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointStore, type CheckpointPayload } from '../../../core/checkpoint/store';

function payload(step: number): CheckpointPayload {
  return {
    weights: new Map([['w', { dtype: 'F32', shape: [2], data: new Float32Array([step, step + 0.5]) }]]),
    optimizer: new Map([['w.exp_avg', { dtype: 'F32', shape: [2], data: new Float32Array([0.1, 0.2]) }]]),
    state: { step, rng: { augment: [1, 2, 3, step] }, data: { epoch: 0, offset: step * 4 }, lossCurve: [1, 0.5] },
    spec: { name: 'x' },
  };
}

describe('CheckpointStore', () => {
  let runDir: string;
  beforeEach(() => {
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-ckpt-'));
  });
  afterEach(() => fs.rmSync(runDir, { recursive: true, force: true }));

  it('saves and loads the last checkpoint with its state', () => {
    const store = new CheckpointStore(runDir);
    store.save(payload(3), ['last']);
    const back = store.load('last')!;
    assert.equal(back.state.step, 3);
    assert.deepEqual(back.state.rng.augment, [1, 2, 3, 3]);
    assert.deepEqual(Array.from(back.weights.get('w')!.data), [3, 3.5]);
    assert.deepEqual(back.spec, { name: 'x' });
  });

  it('keeps the best checkpoint beside the last and removes unreferenced ones', () => {
    const store = new CheckpointStore(runDir);
    store.save(payload(1), ['last']);
    store.save(payload(2), ['last', 'best']);
    store.save(payload(3), ['last']);
    store.save(payload(4), ['last']);
    const dirs = fs.readdirSync(store.dir).filter((d) => d.startsWith('step-')).sort();
    assert.deepEqual(dirs, ['step-000002', 'step-000004']);
    assert.equal(store.load('best')!.state.step, 2);
    assert.equal(store.load('last')!.state.step, 4);
  });

  it('leaves the previous checkpoint intact when a save fails midway', () => {
    const store = new CheckpointStore(runDir);
    store.save(payload(1), ['last']);
    const broken = payload(2);
    broken.weights.set('bad', { dtype: 'F32', shape: [3], data: new Float32Array(2) }); // shape/data mismatch throws while writing
    assert.throws(() => store.save(broken, ['last']));
    assert.equal(store.load('last')!.state.step, 1);
  });
});
