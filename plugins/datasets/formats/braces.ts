import { DataError } from '../../../core/toolkit';

/** Upper bound on the names one pattern may expand to (a typo such as {0..99999999} fails fast). */
const MAX_EXPANSION = 1_000_000;

/**
 * Expands webdataset-style brace patterns: numeric ranges keep the zero padding of their
 * first bound (`shards/{00000..00127}.tar`), and comma lists (`{train,val}-{0..3}.tar`)
 * expand in order. Several braces in one pattern give their cartesian product.
 */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  const close = pattern.indexOf('}', open);
  if (close < 0) throw new DataError(`unbalanced "{" in shard pattern "${pattern}"`);
  const head = pattern.slice(0, open);
  const body = pattern.slice(open + 1, close);
  const tails = expandBraces(pattern.slice(close + 1));
  const options = expandBody(body, pattern);
  if (options.length * tails.length > MAX_EXPANSION) {
    throw new DataError(`shard pattern "${pattern}" expands to more than ${MAX_EXPANSION} names`);
  }
  const out: string[] = [];
  for (const option of options) for (const tail of tails) out.push(head + option + tail);
  return out;
}

function expandBody(body: string, pattern: string): string[] {
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(body);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    const width = range[1].replace('-', '').length;
    if (Math.abs(to - from) + 1 > MAX_EXPANSION) throw new DataError(`shard pattern "${pattern}" has a range that is too large`);
    const step = from <= to ? 1 : -1;
    const out: string[] = [];
    for (let i = from; step > 0 ? i <= to : i >= to; i += step) {
      const digits = String(Math.abs(i)).padStart(width, '0');
      out.push(i < 0 ? `-${digits}` : digits);
    }
    return out;
  }
  if (body.includes(',')) return body.split(',');
  throw new DataError(`cannot expand "{${body}}" in shard pattern "${pattern}" (use {a..b} or {x,y,z})`);
}
