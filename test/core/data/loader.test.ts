/**
 * DataLoader. Data: small real JPEG/PNG files encoded by sharp in the test, and synthetic
 * in-memory pixel samples (an 8x8 grey square per sample whose value names the sample).
 */
import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import type { Sample } from '../../../core/contracts/dataset';
import { DataLoader, type Batch, type LoaderOptions } from '../../../core/data/loader';
import { DataError } from '../../../core/errors';
import { Logger } from '../../../core/logger';
import { assertFlatTensorCount } from '../../helpers/memory';
import { ArrayDataset, pixelSample } from './helpers/array-dataset';
import { NOT_AN_IMAGE, noiseImage, solidImage, truncated } from './helpers/image-files';

const quiet = new Logger('silent');

function options(extra: Partial<LoaderOptions> = {}): LoaderOptions {
  return { batchSize: 4, loadSize: 8, workers: 0, prefetchBatches: 2, seed: 0, shuffle: true, repeat: false, maxFailureFraction: 0, log: quiet, ...extra };
}

interface Seen {
  keys: string[];
  captions: string[];
  labels: number[];
  pixels: number[];
  position: Batch['position'];
}

async function take(loader: DataLoader, n = Infinity): Promise<Seen[]> {
  const out: Seen[] = [];
  while (out.length < n) {
    const batch = await loader.next();
    if (!batch) break;
    out.push({ keys: batch.keys, captions: batch.captions, labels: [...batch.labels], pixels: [...(await batch.images.data())], position: batch.position });
    batch.images.dispose();
  }
  return out;
}

async function run(dataset: ArrayDataset, opts: LoaderOptions, n = Infinity): Promise<Seen[]> {
  const loader = new DataLoader(dataset, opts);
  try {
    return await take(loader, n);
  } finally {
    await loader.close();
  }
}

describe('DataLoader', () => {
  const samples = Array.from({ length: 10 }, (_, i) => pixelSample(i));

  it('decodes real JPEG and PNG bytes to float32 [B, loadSize, loadSize, 3] in [0, 1] (real files)', async () => {
    const png = await solidImage(20, 12, [255, 128, 0], 'png');
    const jpeg = await noiseImage(30, 40, 7, 'jpeg');
    const dataset = new ArrayDataset([
      { key: 'png', image: { kind: 'encoded', bytes: png, origin: 'a.png' } },
      { key: 'jpeg', image: { kind: 'encoded', bytes: jpeg, origin: 'b.jpg' } },
    ]);
    const loader = new DataLoader(dataset, options({ batchSize: 2, loadSize: 6, shuffle: false }));
    const batch = (await loader.next())!;
    await loader.close();
    assert.deepEqual(batch.images.shape, [2, 6, 6, 3]);
    assert.equal(batch.images.dtype, 'float32');
    const px = await batch.images.data();
    batch.images.dispose();
    // A solid PNG decodes losslessly: every pixel is exactly (255, 128, 0) / 255.
    for (let i = 0; i < 36; i++) assert.deepEqual([px[i * 3], px[i * 3 + 1], px[i * 3 + 2]], [1, Math.fround(128 / 255), 0]);
    assert.ok(px.every((v) => v >= 0 && v <= 1));
    assert.deepEqual(batch.keys, ['png', 'jpeg']);
    assert.deepEqual([...batch.labels], [-1, -1]);
    assert.deepEqual(batch.captions, ['', '']);
  });

  it('gives the same batches for the same seed, whatever the number of workers', async () => {
    const a = await run(new ArrayDataset(samples), options({ seed: 5 }));
    const b = await run(new ArrayDataset(samples), options({ seed: 5, workers: 2 }));
    const c = await run(new ArrayDataset(samples), options({ seed: 6 }));
    assert.deepEqual(b, a);
    assert.notDeepEqual(c.map((s) => s.keys), a.map((s) => s.keys));
    // Each image is its own sample's pixels: the grey value 7i names sample s<i>.
    for (const batch of a) batch.keys.forEach((k, j) => assert.equal(Math.round(batch.pixels[j * 192] * 255), Number(k.slice(1)) * 7));
  });

  it('actually decodes in worker threads when asked to (from the compiled dist)', async () => {
    const loader = new DataLoader(new ArrayDataset(samples), options({ workers: 2 }));
    assert.equal(loader.workerThreads, 2);
    await take(loader, 1);
    await loader.close();
  });

  it('delivers the last partial batch of a single pass, or drops it with dropLast, then returns undefined', async () => {
    const kept = await run(new ArrayDataset(samples), options());
    assert.deepEqual(kept.map((b) => b.keys.length), [4, 4, 2]);
    assert.deepEqual(kept.map((b) => b.position), [{ epoch: 0, offset: 4 }, { epoch: 0, offset: 8 }, { epoch: 0, offset: 10 }]);
    const dropped = await run(new ArrayDataset(samples), options({ dropLast: true }));
    assert.deepEqual(dropped.map((b) => b.keys.length), [4, 4]);
    const loader = new DataLoader(new ArrayDataset(samples), options({ batchSize: 10 }));
    assert.ok(await loader.next());
    assert.equal(await loader.next(), undefined);
    assert.equal(await loader.next(), undefined);
    await loader.close();
  });

  it('rolls epochs over when repeating, reshuffling each epoch and dropping partial batches', async () => {
    const batches = await run(new ArrayDataset(samples), options({ repeat: true }), 6);
    assert.deepEqual(batches.map((b) => b.position), [
      { epoch: 0, offset: 4 },
      { epoch: 0, offset: 8 },
      { epoch: 1, offset: 4 },
      { epoch: 1, offset: 8 },
      { epoch: 2, offset: 4 },
      { epoch: 2, offset: 8 },
    ]);
    assert.notDeepEqual(batches[0].keys, batches[2].keys);
  });

  it('resumes from a saved position with exactly the batches an uninterrupted run delivers', async () => {
    const opts = options({ repeat: true, seed: 11, batchSize: 3 });
    const full = await run(new ArrayDataset(samples), opts, 9);
    for (const cut of [1, 3, 4]) {
      const resumed = await run(new ArrayDataset(samples), { ...opts, start: full[cut - 1].position }, 9 - cut);
      assert.deepEqual(resumed, full.slice(cut), `resuming after batch ${cut}`);
    }
  });

  it('skips corrupt and truncated images, counting and reporting each with its origin and reason (real files)', async () => {
    const good = await noiseImage(16, 16, 3, 'jpeg');
    const items: Sample[] = [
      { key: 'ok1', image: { kind: 'encoded', bytes: good, origin: 'ok1.jpg' } },
      { key: 'bad', image: { kind: 'encoded', bytes: NOT_AN_IMAGE, origin: 'shard-3.tar (bad.jpg)' } },
      { key: 'cut', image: { kind: 'encoded', bytes: truncated(good), origin: 'cut.jpg' } },
      { key: 'ok2', image: { kind: 'encoded', bytes: good, origin: 'ok2.jpg' } },
    ];
    const lines: string[] = [];
    const log = new Logger('warn', { write: (l) => lines.push(l) });
    const loader = new DataLoader(new ArrayDataset(items), options({ shuffle: false, maxFailureFraction: 0.5, log }));
    const batch = (await loader.next())!;
    batch.images.dispose();
    assert.deepEqual(batch.keys, ['ok1', 'ok2']);
    const report = loader.failureReport();
    await loader.close();
    assert.equal(report.failed, 2);
    assert.equal(report.seen, 4);
    assert.deepEqual(report.examples.map((e) => e.origin), ['shard-3.tar (bad.jpg)', 'cut.jpg']);
    assert.match(report.examples[0].reason, /unsupported image format/);
    assert.match(report.examples[1].reason, /^truncated JPEG: no end-of-image marker/);
    assert.ok(lines.some((l) => l.includes('skipping cut.jpg')));
  });

  it('stops with a DataError as soon as bad samples exceed maxFailureFraction × max(seen, minimum), or × seen at the end of a whole pass', async () => {
    const items: Sample[] = samples.map((s, i) =>
      i % 3 === 0 ? { key: `bad${i}`, image: { kind: 'encoded', bytes: NOT_AN_IMAGE, origin: `bad${i}.png` } } : s,
    );
    // 25% of max(seen, 8) allows 2 bad samples among the first 8: the third (bad6, the 7th sample) stops the run.
    const early = new DataLoader(new ArrayDataset(items), options({ shuffle: false, batchSize: 20, maxFailureFraction: 0.25, minSamplesForFailureCheck: 8 }));
    await assert.rejects(early.next(), (err: unknown) =>
      err instanceof DataError &&
      /^3 of 7 samples were bad and skipped \(42\.9%\), more than data\.maxFailureFraction allows \(25\.0% × max\(7 seen, 8\) = 2 bad samples\); first: bad0\.png: .*; bad3\.png: .*; bad6\.png: /.test(err.message),
    );
    await assert.rejects(early.next(), DataError); // and it stays failed
    await early.close();
    // At the end of a whole pass the fraction is exact and the floor goes: 4 of 10 passed the
    // sample-by-sample test at 30% (of max(seen, 34)) but is more than 30% of the 10 read.
    const whole = new DataLoader(new ArrayDataset(items), options({ shuffle: false, batchSize: 20, maxFailureFraction: 0.3 }));
    await assert.rejects(whole.next(), /^DataError: 4 of 10 samples were bad and skipped \(40\.0%\), more than data\.maxFailureFraction allows \(30\.0% × 10 seen, a full pass = 3 bad samples\)/);
    await whole.close();
    // At 40% the pass is within the allowance, and the summary says what it was judged against.
    const tolerant = new DataLoader(new ArrayDataset(items), options({ shuffle: false, batchSize: 20, maxFailureFraction: 0.4 }));
    const batch = (await tolerant.next())!;
    batch.images.dispose();
    assert.equal(batch.keys.length, 6);
    assert.equal(await tolerant.next(), undefined);
    assert.equal(tolerant.failureSummary(), '4 of 10 samples were bad and skipped (40.0%); within data.maxFailureFraction (40.0% × 10 seen, a full pass = 4 bad samples)');
    await tolerant.close();
    // 0: the first bad sample is fatal.
    const strict = new DataLoader(new ArrayDataset(items), options({ shuffle: false, maxFailureFraction: 0 }));
    await assert.rejects(strict.next(), /^DataError: 1 of 1 samples were bad and skipped \(100\.0%\), more than data\.maxFailureFraction allows \(0: any bad sample is fatal\); first: bad0\.png/);
    await strict.close();
  });

  it('reports an epoch that cannot fill one batch instead of looping forever', async () => {
    const loader = new DataLoader(new ArrayDataset(samples.slice(0, 3)), options({ repeat: true }));
    await assert.rejects(loader.next(), /epoch 0 did not fill a single batch of 4/);
    await loader.close();
    const empty = new DataLoader(new ArrayDataset([]), options({ repeat: true }));
    await assert.rejects(empty.next(), (err: unknown) => err instanceof DataError && /yielded no samples/.test(err.message));
    await empty.close();
  });

  it('delivers the batches read before a dataset error, then throws it', async () => {
    const error = new DataError('cannot read tar shard: unexpected end', 'shards/00003.tar', 'after member 9');
    const loader = new DataLoader(new ArrayDataset(samples, { failAt: { index: 6, error } }), options({ shuffle: false }));
    const first = await take(loader, 1);
    assert.deepEqual(first[0].keys, ['s0', 's1', 's2', 's3']);
    await assert.rejects(loader.next(), (err: unknown) => err === error);
    await loader.close();
  });

  it('picks one caption per sample and epoch, seeded, and captions labelled data through the templates', async () => {
    const captioned = samples.map((s, i) => ({ ...s, captions: [`first ${i}`, `second ${i}`, `third ${i}`] }));
    const opts = options({ shuffle: false, repeat: true, batchSize: 10 });
    const a = await run(new ArrayDataset(captioned), opts, 3);
    const b = await run(new ArrayDataset(captioned), opts, 3);
    assert.deepEqual(b.map((x) => x.captions), a.map((x) => x.captions));
    a[0].captions.forEach((c, i) => assert.ok(captioned[i].captions.includes(c)));
    const distinct = new Set(a.flatMap((x) => x.captions.map((c) => c.split(' ')[0])));
    assert.equal(distinct.size, 3, 'all candidates get picked across samples and epochs');
    assert.notDeepEqual(a[1].captions, a[0].captions, 'the choice changes with the epoch');

    const labelled = samples.map((s, i) => ({ ...s, label: i % 2 }));
    const templated = new ArrayDataset(labelled, { classNames: ['cat', 'dog'], promptTemplates: ['a photo of a {}.', 'a {} drawing'] });
    const [batch] = await run(templated, options({ shuffle: false, batchSize: 10 }), 1);
    batch.captions.forEach((c, i) => assert.ok([`a photo of a ${['cat', 'dog'][i % 2]}.`, `a ${['cat', 'dog'][i % 2]} drawing`].includes(c), c));
    assert.deepEqual(batch.labels, labelled.map((s) => s.label));
  });

  it('keeps the tensor count flat across batches and leaves none behind after close', async () => {
    const before = tf.memory().numTensors;
    const loader = new DataLoader(new ArrayDataset(samples), options({ repeat: true, workers: 1 }));
    await assertFlatTensorCount(6, async () => {
      const batch = await loader.next();
      batch!.images.dispose();
    });
    await loader.close();
    assert.equal(tf.memory().numTensors, before);
    await assert.rejects(loader.next(), /after close/);
  });

  it('refuses a second next() while one is pending', async () => {
    const loader = new DataLoader(new ArrayDataset(samples), options());
    const first = loader.next();
    await assert.rejects(loader.next(), /still pending/);
    (await first)!.images.dispose();
    await loader.close();
  });
});
