/**
 * Entry point of a decoding worker thread (loaded from the compiled decode-worker.js).
 * Decodes what the pool posts and posts the pixels back, transferring their buffer.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { decodeImage } from './decode';
import type { FromWorker, ToWorker } from './decode-protocol';

// One libvips thread per image: parallelism comes from the pool's workers, not from
// libvips threads competing for the same cores.
sharp.concurrency(1);
sharp.cache(false);

const port = parentPort;
if (!port) throw new Error('decode-worker must run as a worker thread');

let inFlight = 0;
let closing = false;

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'close') {
    closing = true;
    if (inFlight === 0) port.close();
    return;
  }
  inFlight++;
  void decodeImage(msg.input, msg.loadSize).then((outcome) => {
    const reply: FromWorker = { type: 'decoded', id: msg.id, outcome };
    port.postMessage(reply, outcome.ok ? [outcome.pixels.buffer as ArrayBuffer] : []);
    inFlight--;
    if (closing && inFlight === 0) port.close();
  });
});
