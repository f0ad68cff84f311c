/**
 * webdataset on small real tar shards written with tar-stream in the test, holding JPEG
 * and PNG images encoded by sharp with txt/json captions and cls labels.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import * as tar from 'tar-stream';
import { DataError } from '../../../core/errors';
import { Logger } from '../../../core/logger';
import { splitMemberName } from '../../../plugins/datasets/formats/tar-shards';
import { WebDataset } from '../../../plugins/datasets/webdataset';
import { NOT_AN_IMAGE, solidImage, tempDir, truncated } from '../../core/data/helpers/image-files';
import { allSamples, loadAll, quiet } from './helpers';

interface Member {
  name: string;
  body: Buffer | string;
}

async function writeShard(file: string, members: Member[]): Promise<void> {
  const pack = tar.pack();
  for (const m of members) pack.entry({ name: m.name }, typeof m.body === 'string' ? Buffer.from(m.body) : m.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  fs.writeFileSync(file, Buffer.concat(chunks));
}

describe('webdataset', () => {
  let root: string;
  const SHARDS = 3;
  const PER_SHARD = 4;
  before(async () => {
    root = tempDir('wds');
    fs.mkdirSync(path.join(root, 'shards'));
    const png = await solidImage(8, 8, [200, 10, 10], 'png');
    const jpeg = await solidImage(8, 8, [10, 10, 200], 'jpeg');
    for (let s = 0; s < SHARDS; s++) {
      const members: Member[] = [];
      for (let i = 0; i < PER_SHARD; i++) {
        const key = `s${s}/${String(i).padStart(4, '0')}`;
        members.push({ name: `${key}.${i % 2 ? 'jpg' : 'png'}`, body: i % 2 ? jpeg : png });
        members.push({ name: `${key}.txt`, body: `shard ${s} sample ${i}\n` });
        members.push({ name: `${key}.cls`, body: String(i) });
      }
      await writeShard(path.join(root, 'shards', `${String(s).padStart(5, '0')}.tar`), members);
    }
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const open = (options: Record<string, unknown>, log = quiet): WebDataset =>
    new WebDataset({ shards: 'shards/{00000..00002}.tar', labelExtension: 'cls', ...options } as never, root, log);

  it('splits member names into key and extension as webdataset does', () => {
    assert.deepEqual(splitMemberName('a/b/x.seg.png'), { key: 'a/b/x', ext: 'seg.png' });
    assert.deepEqual(splitMemberName('dir.v2/000123.JPG'), { key: 'dir.v2/000123', ext: 'jpg' });
    assert.equal(splitMemberName('README'), undefined);
  });

  it('expands brace patterns and streams every sample in order without shuffling', async () => {
    const dataset = open({});
    assert.deepEqual(dataset.shardFiles().map((f) => path.relative(root, f)), ['shards/00000.tar', 'shards/00001.tar', 'shards/00002.tar']);
    const samples = await allSamples(dataset);
    assert.equal(samples.length, SHARDS * PER_SHARD);
    assert.deepEqual(samples[5].captions, ['shard 1 sample 1']);
    assert.equal(samples[5].label, 1);
    assert.equal(samples[5].key, '00001.tar/s1/0001');
    assert.match(samples[5].image.origin, /00001\.tar \(s1\/0001\.jpg\)$/);
    assert.equal(await dataset.size(), undefined);
  });

  it('shuffles across shards and within a buffer, the same for the same seed and epoch', async () => {
    const dataset = open({ shuffleBuffer: 5 });
    const keys = async (seed: number, epoch: number): Promise<string[]> => (await allSamples(dataset, seed, epoch, true)).map((s) => s.key);
    const a = await keys(1, 0);
    assert.deepEqual([...a].sort(), (await allSamples(dataset)).map((s) => s.key).sort(), 'every sample exactly once');
    assert.deepEqual(await keys(1, 0), a);
    assert.notDeepEqual(await keys(1, 1), a);
    assert.notDeepEqual(await keys(2, 0), a);
    const firstShards = new Set<string>();
    for (let seed = 0; seed < 8; seed++) firstShards.add((await keys(seed, 0))[0].split('/')[0]);
    assert.ok(firstShards.size > 1, 'the shard order is shuffled too');
  });

  it('resumes mid-epoch from a saved loader position with the same batches (streamed, shuffled shards and buffer)', async () => {
    const { DataLoader } = await import('../../../core/data/loader');
    const run = async (start?: { epoch: number; offset: number }): Promise<Array<{ keys: string[]; position: unknown }>> => {
      const loader = new DataLoader(open({ shuffleBuffer: 4 }), {
        batchSize: 5, loadSize: 4, workers: 1, prefetchBatches: 1, seed: 7, shuffle: true, repeat: true, maxFailureFraction: 0, log: quiet, start,
      });
      const out = [];
      for (let i = 0; i < (start ? 3 : 5); i++) {
        const b = (await loader.next())!;
        b.images.dispose();
        out.push({ keys: b.keys, position: b.position });
      }
      await loader.close();
      return out;
    };
    const full = await run();
    assert.deepEqual(await run(full[1].position as { epoch: number; offset: number }), full.slice(2));
  });

  it('decodes its JPEG and PNG members through the loader, with captions and labels', async () => {
    const [batch] = await loadAll(open({}), { loadSize: 4 });
    assert.equal(batch.keys.length, 12);
    assert.deepEqual([...batch.labels], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    assert.equal(batch.captions[2], 'shard 0 sample 2');
    assert.ok(Math.abs(batch.pixels[0] * 255 - 200) <= 2 && Math.abs(batch.pixels[48 + 2] * 255 - 200) <= 3);
  });

  it('reads json captions (a string or a list) from a field', async () => {
    const file = path.join(root, 'json.tar');
    const png = await solidImage(4, 4, [0, 0, 0], 'png');
    await writeShard(file, [
      { name: 'a.png', body: png },
      { name: 'a.json', body: JSON.stringify({ text: ['one', 'two'] }) },
      { name: 'b.png', body: png },
      { name: 'b.json', body: JSON.stringify({ text: 'three' }) },
    ]);
    const samples = await allSamples(new WebDataset({ shards: 'json.tar', captionExtension: 'json', captionField: 'text' } as never, root, quiet));
    assert.deepEqual(samples.map((s) => s.captions), [['one', 'two'], ['three']]);
  });

  it('names the shard for a missing, corrupt or truncated shard', async () => {
    await assert.rejects(allSamples(open({ shards: 'shards/{00000..00003}.tar' })), (err: unknown) =>
      err instanceof DataError && err.message === `${path.join(root, 'shards', '00003.tar')}: shard not found`,
    );
    fs.writeFileSync(path.join(root, 'garbage.tar'), NOT_AN_IMAGE);
    await assert.rejects(allSamples(open({ shards: 'garbage.tar' })), (err: unknown) => err instanceof DataError && err.message.startsWith(path.join(root, 'garbage.tar')));
    // Cut part-way: not a shard error but a bad sample where it broke, naming the shard (test/plugins/datasets/hostile-shards.test.ts).
    const whole = fs.readFileSync(path.join(root, 'shards', '00001.tar'));
    fs.writeFileSync(path.join(root, 'cut.tar'), truncated(whole, 0.6));
    const cut = await allSamples(open({ shards: 'cut.tar' }));
    assert.match(cut[cut.length - 1].problem ?? '', new RegExp(`^tar shard ${path.join(root, 'cut.tar')} broke off in or after member \\d+`));
  });

  it('with onShardError "skip", logs an unreadable shard and goes on with the others', async () => {
    const lines: string[] = [];
    const log = new Logger('warn', { write: (l) => lines.push(l) });
    const samples = await allSamples(open({ shards: ['garbage.tar', 'shards/00002.tar'], onShardError: 'skip' }, log));
    assert.equal(samples.length, PER_SHARD);
    assert.ok(samples.every((s) => s.key.startsWith('00002.tar/') && s.problem === undefined));
    assert.ok(lines.some((l) => l.includes('garbage.tar')));
  });

  it('makes a sample without an image a bad sample, and lets the loader skip it and a corrupt image naming the shard', async () => {
    const file = path.join(root, 'mixed.tar');
    const png = await solidImage(4, 4, [0, 0, 0], 'png');
    await writeShard(file, [
      { name: 'a.png', body: png },
      { name: 'b.txt', body: 'caption without an image' },
      { name: 'c.jpg', body: NOT_AN_IMAGE },
      { name: 'd.png', body: png },
    ]);
    const dataset = new WebDataset({ shards: 'mixed.tar' } as never, root, quiet);
    const samples = await allSamples(dataset);
    assert.deepEqual(samples.map((s) => s.key), ['mixed.tar/a', 'mixed.tar/b', 'mixed.tar/c', 'mixed.tar/d']);
    assert.deepEqual(samples.map((s) => s.problem), [undefined, 'no image member (jpg, jpeg, png, webp) for key b', undefined, undefined]);
    const { DataLoader } = await import('../../../core/data/loader');
    const loader = new DataLoader(dataset, { batchSize: 4, loadSize: 4, workers: 0, prefetchBatches: 1, seed: 0, shuffle: false, repeat: false, maxFailureFraction: 0.5, log: quiet });
    const batch = (await loader.next())!;
    batch.images.dispose();
    assert.deepEqual(batch.keys, ['mixed.tar/a', 'mixed.tar/d']);
    assert.deepEqual(loader.failureReport().examples.map((e) => e.origin), [`${file} (b)`, `${file} (c.jpg)`]);
    await loader.close();
  });
});
