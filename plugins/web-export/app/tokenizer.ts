import { CLIP_END_TOKEN, CLIP_PRE_TOKEN, CLIP_START_TOKEN } from '../../tokenizers/clip-bpe-constants';
import { clipCleanText } from '../../tokenizers/clip-text-clean';
import type { WebTokenizerData } from './model-config';

/**
 * GPT-2/CLIP's byte alphabet: the printable bytes stand for themselves, every other byte for
 * the next unused code point from 256 up; the vocabulary's first 256 symbols are these
 * characters in this byte order.
 */
function byteOrder(): number[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) rest.push(b);
  return [...printable, ...rest];
}

/**
 * CLIP's BPE tokenizer for the browser, on the vocabulary and merges slipkit's Node tokenizer
 * uses (exported to tokenizer.json): the same cleanup, pre-tokenizer, byte alphabet and
 * merge order, so the same ids, and the same rows: [start, …, end] padded with 0, a long
 * caption cut keeping its end token.
 */
export class WebClipTokenizer {
  private readonly encoder = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly byteSymbols: string[] = new Array(256);
  private readonly memo = new Map<string, string[]>();
  private readonly utf8 = new TextEncoder();

  constructor(
    data: WebTokenizerData,
    readonly contextLength: number,
  ) {
    data.vocab.forEach((symbol, id) => this.encoder.set(symbol, id));
    data.merges.forEach((pair, rank) => this.ranks.set(pair, rank));
    byteOrder().forEach((byte, i) => (this.byteSymbols[byte] = data.vocab[i]));
  }

  /** Merges the lowest-ranked adjacent pair until none is in the merge list. */
  private bpe(token: string): string[] {
    const known = this.memo.get(token);
    if (known) return known;
    const chars = [...token];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const [first, second] = [word[best], word[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else merged.push(word[i]);
      }
      word = merged;
    }
    this.memo.set(token, word);
    return word;
  }

  encodeText(text: string): number[] {
    const ids: number[] = [];
    for (const [preToken] of clipCleanText(text).matchAll(CLIP_PRE_TOKEN)) {
      let symbols = '';
      for (const byte of this.utf8.encode(preToken)) symbols += this.byteSymbols[byte];
      for (const symbol of this.bpe(symbols)) ids.push(this.encoder.get(symbol)!);
    }
    return ids;
  }

  encode(texts: readonly string[]): { ids: Int32Array; eot: Int32Array } {
    const n = this.contextLength;
    const ids = new Int32Array(texts.length * n);
    const eot = new Int32Array(texts.length);
    texts.forEach((text, row) => {
      const body = this.encodeText(text).slice(0, n - 2);
      ids[row * n] = CLIP_START_TOKEN;
      ids.set(body, row * n + 1);
      eot[row] = body.length + 1;
      ids[row * n + eot[row]] = CLIP_END_TOKEN;
    });
    return { ids, eot };
  }
}
