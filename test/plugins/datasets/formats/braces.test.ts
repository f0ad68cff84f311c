/** Brace patterns of shard lists (no data). */
import { strict as assert } from 'node:assert';
import { expandBraces } from '../../../../plugins/datasets/formats/braces';
import { DataError } from '../../../../core/errors';

describe('expandBraces', () => {
  it('expands zero-padded numeric ranges as webdataset does', () => {
    const shards = expandBraces('shards/{00000..00127}.tar');
    assert.equal(shards.length, 128);
    assert.equal(shards[0], 'shards/00000.tar');
    assert.equal(shards[127], 'shards/00127.tar');
  });

  it('expands lists, several braces (cartesian product, in order) and descending ranges', () => {
    assert.deepEqual(expandBraces('{train,val}-{0..2}.tar'), ['train-0.tar', 'train-1.tar', 'train-2.tar', 'val-0.tar', 'val-1.tar', 'val-2.tar']);
    assert.deepEqual(expandBraces('s{3..1}'), ['s3', 's2', 's1']);
    assert.deepEqual(expandBraces('plain.tar'), ['plain.tar']);
  });

  it('rejects malformed patterns with a DataError', () => {
    assert.throws(() => expandBraces('shards/{0..3.tar'), DataError);
    assert.throws(() => expandBraces('shards/{abc}.tar'), /cannot expand "\{abc\}"/);
    assert.throws(() => expandBraces('{0..99999999}'), /too large/);
  });
});
