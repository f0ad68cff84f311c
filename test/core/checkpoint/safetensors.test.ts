import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeSafetensors, encodeSafetensors, readSafetensors, type SafeTensor } from '../../../core/checkpoint/safetensors';
import { fixturePath } from '../../helpers/paths';

describe('safetensors', () => {
  it('reads a file written by the Python safetensors library', () => {
    // written by test/reference/engine.py with safetensors.torch.save_file
    const f = readSafetensors(fixturePath('engine', 'python-written.safetensors'));
    assert.deepEqual(f.metadata, { producer: 'python' });
    const a = f.tensors.get('a.weight')!;
    assert.equal(a.dtype, 'F32');
    assert.deepEqual(a.shape, [3, 4]);
    assert.deepEqual(Array.from(a.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const b = f.tensors.get('b')!;
    assert.equal(b.dtype, 'I32');
    assert.deepEqual(Array.from(b.data), [1, -2, 3]);
  });

  it('round-trips tensors and metadata bit for bit', () => {
    const tensors = new Map<string, SafeTensor>([
      ['x', { dtype: 'F32', shape: [2, 2], data: new Float32Array([1.5, -0, Number.MIN_VALUE, 3.4e38]) }],
      ['y', { dtype: 'I32', shape: [1], data: new Int32Array([-7]) }],
    ]);
    const back = decodeSafetensors(encodeSafetensors(tensors, { step: '3' }));
    assert.deepEqual(back.metadata, { step: '3' });
    assert.deepEqual(Buffer.from(back.tensors.get('x')!.data.buffer), Buffer.from(tensors.get('x')!.data.buffer));
    assert.deepEqual(Array.from(back.tensors.get('y')!.data), [-7]);
  });

  it('names the file when it is truncated', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-st-'));
    const file = path.join(dir, 'cut.safetensors');
    const bytes = encodeSafetensors(new Map([['x', { dtype: 'F32', shape: [64], data: new Float32Array(64) } as SafeTensor]]));
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    assert.throws(() => readSafetensors(file), (e: unknown) => (e as Error).message.includes(file) && /truncated/.test((e as Error).message));
    fs.rmSync(dir, { recursive: true });
  });
});
