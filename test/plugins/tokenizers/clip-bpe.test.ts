import { strict as assert } from 'node:assert';
import { container } from 'tsyringe';
import { SpecError } from '../../../core/errors';
import { Logger } from '../../../core/logger';
import type { PluginContext } from '../../../core/plugins/define';
import { withDefaults } from '../../../core/plugins/options';
import clipBpe, { CLIP_END_TOKEN, CLIP_START_TOKEN, ClipBpeTokenizer } from '../../../plugins/tokenizers/clip-bpe';
import { readFixture } from '../../nn/torch-fixture';

/** Written by test/reference/tokenizer.py from open_clip's SimpleTokenizer. */
interface TokenizerFixture {
  sot: number;
  eot: number;
  vocabSize: number;
  captions: string[];
  encoded: number[][];
  openClip77: number[][];
  openClip32: number[][];
  slip32: number[][];
}

const rowsOf = (ids: Int32Array, contextLength: number): number[][] =>
  Array.from({ length: ids.length / contextLength }, (_, r) => Array.from(ids.subarray(r * contextLength, (r + 1) * contextLength)));

function context(): PluginContext {
  return {
    container: container.createChildContainer(),
    log: new Logger('silent'),
    seed: 0,
    baseDir: '.',
    path: 'data.tokenizer',
    settings: { imageSize: 32, embedDim: 16 },
    build: () => {
      throw new Error('not used');
    },
  };
}

describe('clip-bpe tokenizer', () => {
  const fixture = readFixture<TokenizerFixture>('tokenizer', 'clip-bpe.json');

  it("uses CLIP's special ids and vocabulary size", () => {
    assert.equal(CLIP_START_TOKEN, fixture.sot);
    assert.equal(CLIP_END_TOKEN, fixture.eot);
    assert.equal(new ClipBpeTokenizer().vocabSize, fixture.vocabSize);
  });

  fixture.captions.forEach((caption, i) => {
    const chars = Array.from(caption);
    const title = JSON.stringify(chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : caption);
    it(`encodes like open_clip: ${title}`, () => {
      assert.deepEqual(new ClipBpeTokenizer().encodeText(caption), fixture.encoded[i]);
    });
  });

  for (const contextLength of [77, 32] as const) {
    it(`pads and truncates rows as open_clip does at context ${contextLength}`, () => {
      const batch = new ClipBpeTokenizer(contextLength).encode(fixture.captions);
      assert.equal(batch.batch, fixture.captions.length);
      assert.equal(batch.contextLength, contextLength);
      assert.deepEqual(rowsOf(batch.ids, contextLength), contextLength === 77 ? fixture.openClip77 : fixture.openClip32);
      batch.eot.forEach((position, row) => {
        assert.equal(batch.ids[row * contextLength + position], CLIP_END_TOKEN, `row ${row}: eot points at the end token`);
        assert.equal(position, Math.min(fixture.encoded[row].length + 1, contextLength - 1));
      });
    });
  }

  it("keeps the end token when truncating, where SLIP's tokenizer loses it", () => {
    const contextLength = 32;
    const batch = new ClipBpeTokenizer(contextLength).encode(fixture.captions);
    const rows = rowsOf(batch.ids, contextLength);
    const long = fixture.encoded.map((e, i) => (e.length + 2 > contextLength ? i : -1)).filter((i) => i >= 0);
    assert.ok(long.length >= 2, 'the fixture has captions longer than the context');
    for (const i of long) {
      assert.equal(rows[i][contextLength - 1], CLIP_END_TOKEN);
      assert.equal(batch.eot[i], contextLength - 1);
      assert.deepEqual(rows[i].slice(0, -1), fixture.slip32[i].slice(0, -1), 'same tokens up to the last position');
      assert.notEqual(fixture.slip32[i][contextLength - 1], CLIP_END_TOKEN, 'SLIP puts a caption token there');
      assert.ok(!fixture.slip32[i].includes(CLIP_END_TOKEN));
    }
    // short captions: identical to SLIP
    fixture.encoded.forEach((e, i) => {
      if (e.length + 2 <= contextLength) assert.deepEqual(rows[i], fixture.slip32[i]);
    });
  });

  it('encodes an empty batch and an empty caption', () => {
    assert.deepEqual(new ClipBpeTokenizer(4).encode([]), { ids: new Int32Array(0), eot: new Int32Array(0), batch: 0, contextLength: 4 });
    const empty = new ClipBpeTokenizer(4).encode(['']);
    assert.deepEqual(Array.from(empty.ids), [CLIP_START_TOKEN, CLIP_END_TOKEN, 0, 0]);
    assert.deepEqual(Array.from(empty.eot), [1]);
  });

  it('rejects a context without room for the start and end tokens', () => {
    assert.throws(() => new ClipBpeTokenizer(1), /contextLength must be an integer ≥ 2/);
    assert.throws(() => clipBpe.create!({ contextLength: 1 }, context()), (err: unknown) => err instanceof SpecError && /data\.tokenizer\.contextLength/.test(err.message));
  });

  it('plugin: context length 77 by default (its schema), or as the spec sets it', () => {
    assert.equal(clipBpe.create!(withDefaults(clipBpe.schema, {}), context()).contextLength, 77);
    const tokenizer = clipBpe.create!({ contextLength: 32 }, context());
    assert.equal(tokenizer.contextLength, 32);
    assert.equal(tokenizer.vocabSize, 49408);
  });
});
