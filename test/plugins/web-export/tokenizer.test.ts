import { strict as assert } from 'node:assert';
import { WebClipTokenizer } from '../../../plugins/web-export/app/tokenizer';
import { clipBpeData } from '../../../plugins/tokenizers/clip-bpe';
import { readFixture } from '../../nn/torch-fixture';

/** open_clip's SimpleTokenizer ids (test/reference/tokenizer.py). */
interface TokenizerFixture {
  captions: string[];
  encoded: number[][];
  openClip77: number[][];
  openClip32: number[][];
}

describe("web page tokenizer (plugins/web-export/app/tokenizer.ts) on the exported vocabulary", () => {
  const fixture = readFixture<TokenizerFixture>('tokenizer', 'clip-bpe.json');
  const data = clipBpeData();

  it('exports the 49408 symbols and 48894 merges of the Node tokenizer', () => {
    assert.equal(data.vocab.length, 49408);
    assert.equal(data.merges.length, 48894);
    assert.equal(data.vocab[49406], '<|startoftext|>');
    assert.ok(data.vocab.every((s) => typeof s === 'string' && s.length > 0));
  });

  it("gives open_clip's ids for every reference caption, with and without padding rows of 77 and 32", () => {
    const tokenizer77 = new WebClipTokenizer(data, 77);
    const tokenizer32 = new WebClipTokenizer(data, 32);
    fixture.captions.forEach((caption, i) => {
      assert.deepEqual(tokenizer77.encodeText(caption), fixture.encoded[i], caption);
      assert.deepEqual([...tokenizer77.encode([caption]).ids], fixture.openClip77[i], caption);
      assert.deepEqual([...tokenizer32.encode([caption]).ids], fixture.openClip32[i], caption);
    });
  });
});
