/**
 * Hostile webdataset shards on real tar files: cut mid-member, cut between members (no
 * end-of-archive blocks), cut at every length (fast-check), and caption members whose bytes
 * are not UTF-8. A shard that breaks off yields the samples before the break intact and one
 * bad sample naming the shard where it broke; nothing hangs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import * as tar from 'tar-stream';
import type { Sample } from '../../../core/contracts/dataset';
import { DataLoader } from '../../../core/data/loader';
import { DataError } from '../../../core/errors';
import { WebDataset } from '../../../plugins/datasets/webdataset';
import { solidImage, tempDir } from '../../core/data/helpers/image-files';
import { allSamples, quiet } from './helpers';

/** A tar file as tar-stream packs it (members in order, end-of-archive blocks at the end). */
async function packShard(members: Array<[string, Buffer | string]>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of members) pack.entry({ name }, typeof body === 'string' ? Buffer.from(body) : body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Rejects when `work` takes longer than `ms`: a hang fails the test instead of stalling the suite. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('hostile webdataset shards: a break is one bad sample naming the shard, never a hang', function () {
  this.timeout(60_000);
  let root: string;
  let whole: Buffer;
  const KEYS = ['a', 'b', 'c', 'd'];
  before(async () => {
    root = tempDir('hostile-shards');
    const members: Array<[string, Buffer | string]> = [];
    for (const [i, key] of KEYS.entries()) {
      members.push([`${key}.jpg`, await solidImage(16, 16, [40 * i, 80, 120], 'jpeg')]);
      members.push([`${key}.txt`, `caption ${key}`]);
    }
    whole = await packShard(members);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const open = (name: string, bytes: Buffer): { dataset: WebDataset; file: string } => {
    const file = path.join(root, name);
    fs.writeFileSync(file, bytes);
    return { dataset: new WebDataset({ shards: name } as never, root, quiet), file };
  };

  /** Checks what a cut shard yields: intact samples in order, then at most one bad one naming the shard; or a DataError naming it when nothing could be read. */
  async function checkCut(length: number): Promise<void> {
    const { dataset, file } = open(`cut-${length}.tar`, whole.subarray(0, length));
    let samples: Sample[];
    try {
      samples = await within(5_000, allSamples(dataset));
    } catch (err) {
      assert.ok(err instanceof DataError, `cut at ${length}: ${String(err)}`);
      assert.ok(err.message.startsWith(file), `cut at ${length}: ${err.message}`);
      assert.ok(length < 1024, `cut at ${length}: a shard with a complete member must be read up to the break`);
      return;
    }
    const intact = samples.filter((s) => s.problem === undefined);
    const broken = samples.filter((s) => s.problem !== undefined);
    assert.deepEqual(intact.map((s) => s.key), KEYS.slice(0, intact.length).map((k) => `cut-${length}.tar/${k}`));
    intact.forEach((s, i) => assert.deepEqual(s.captions, [`caption ${KEYS[i]}`]));
    if (length === whole.length) {
      assert.equal(broken.length, 0);
    } else {
      assert.equal(broken.length, 1, `cut at ${length}`);
      assert.equal(samples[samples.length - 1], broken[0], 'the bad sample comes last: nothing after the break is read');
      assert.match(broken[0].problem!, new RegExp(`^tar shard ${file} (broke off in or after member \\d+|ends after member \\d+ .* without tar's end-of-archive blocks)`));
    }
    fs.rmSync(file);
  }

  it('cut in the middle of a member: the samples before it, then one bad sample naming shard and member', async () => {
    // Not a multiple of 512: inside a header or data block.
    const { dataset, file } = open('mid.tar', whole.subarray(0, whole.length / 2 + 100));
    const samples = await within(5_000, allSamples(dataset));
    assert.ok(samples.length >= 2 && samples.length <= KEYS.length);
    assert.match(samples[samples.length - 1].problem ?? '', new RegExp(`^tar shard ${file} broke off in or after member \\d+ ".*" \\(Unexpected end of data\\): the rest of the shard is lost$`));
    await checkCut(512 + 200); // inside the first member's data: no sample is intact
  });

  it('cut exactly between two members (which tar-stream reads without complaint): caught by the missing end-of-archive blocks', async () => {
    // Sample a's two members, without the two zero blocks tar-stream's pack ends with.
    const firstTwo = await packShard([['a.jpg', await solidImage(16, 16, [0, 80, 120], 'jpeg')], ['a.txt', 'caption a']]);
    assert.ok(firstTwo.subarray(-1024).every((b) => b === 0));
    const { dataset, file } = open('boundary.tar', firstTwo.subarray(0, firstTwo.length - 1024));
    const samples = await within(5_000, allSamples(dataset));
    assert.deepEqual(samples.map((s) => s.key), ['boundary.tar/a']);
    assert.equal(samples[0].problem, `tar shard ${file} ends after member 1 "a.txt" without tar's end-of-archive blocks: it was cut short`);
  });

  it('property: a shard cut at any length ends in bounded time with intact samples and at most one bad one', async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: whole.length }), checkCut), { numRuns: 120 });
    // And every 512-byte block boundary, where a cut leaves whole headers and data blocks.
    for (let n = 0; n <= whole.length; n += 512) await checkCut(n);
  });

  it('a caption member whose bytes are not UTF-8 is a bad sample; through the loader the shard is named', async () => {
    const png = await solidImage(4, 4, [5, 5, 5], 'png');
    const { dataset, file } = open(
      'captions.tar',
      await packShard([
        ['a.png', png],
        ['a.txt', 'fine'],
        ['b.png', png],
        ['b.txt', Buffer.from([0x63, 0x61, 0x66, 0xc3])], // "caf" and half a character
      ]),
    );
    const samples = await allSamples(dataset);
    assert.deepEqual(samples.map((s) => s.problem), [undefined, 'b.txt has bytes that are not UTF-8 (read as U+FFFD: "caf\uFFFD")']);
    fs.writeFileSync(
      path.join(root, 'json.tar'),
      await packShard([['a.png', png], ['a.json', Buffer.from([0x7b, 0x22, 0x63, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])], ['b.png', png], ['b.json', '{"caption": ']]),
    );
    const json = await allSamples(new WebDataset({ shards: 'json.tar', captionExtension: 'json' } as never, root, quiet));
    assert.match(json[0].problem ?? '', /^a\.json has bytes that are not UTF-8/);
    assert.match(json[1].problem ?? '', /^b\.json is not valid JSON: /);
    const loader = new DataLoader(dataset, { batchSize: 4, loadSize: 4, workers: 0, prefetchBatches: 1, seed: 0, shuffle: false, repeat: false, maxFailureFraction: 0, log: quiet });
    try {
      await assert.rejects(loader.next(), (err: unknown) => err instanceof DataError && err.message.includes(`first: ${file} (b.png): b.txt has bytes that are not UTF-8`));
    } finally {
      await loader.close();
    }
  });

  it('a cut shard among good ones: training goes on within the limit and the summary counts it', async () => {
    const { file } = open('cut.tar', whole.subarray(0, whole.length / 2));
    fs.writeFileSync(path.join(root, 'whole.tar'), whole);
    const dataset = new WebDataset({ shards: ['cut.tar', 'whole.tar'] } as never, root, quiet);
    const loader = new DataLoader(dataset, { batchSize: 16, loadSize: 4, workers: 1, prefetchBatches: 1, seed: 0, shuffle: false, repeat: false, maxFailureFraction: 0.5, log: quiet });
    try {
      const batch = (await within(10_000, loader.next()))!;
      batch.images.dispose();
      assert.deepEqual(batch.keys.slice(-KEYS.length), KEYS.map((k) => `whole.tar/${k}`));
      const report = loader.failureReport();
      assert.equal(report.failed, 1);
      assert.ok(report.examples[0].origin.startsWith(file));
      assert.match(loader.failureSummary(), /^1 of \d+ samples were bad and skipped/);
    } finally {
      await loader.close();
    }
  });
});
