import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serveDirectory } from '../../../plugins/web-export/serve';
import { tempDir } from '../../helpers/runs';

describe('slipkit serve: static files on 127.0.0.1', () => {
  it('serves the directory with content types, and refuses paths that leave it', async () => {
    const dir = tempDir('serve');
    const site = path.join(dir, 'site');
    fs.mkdirSync(site);
    fs.writeFileSync(path.join(site, 'index.html'), '<p>hi</p>');
    fs.writeFileSync(path.join(site, 'model.json'), '{}');
    fs.writeFileSync(path.join(site, 'b.wasm'), Buffer.from([0, 97, 115, 109]));
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'no');
    const server = await serveDirectory(site, 0);
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(server.url);
      assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await index.text(), '<p>hi</p>');
      assert.equal((await fetch(`${server.url}b.wasm`)).headers.get('content-type'), 'application/wasm');
      assert.equal((await fetch(`${server.url}model.json`)).headers.get('content-type'), 'application/json');
      assert.equal((await fetch(`${server.url}..%2Fsecret.txt`)).status, 404);
      assert.equal((await fetch(`${server.url}missing.js`)).status, 404);
      assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a directory without an exported page', () => {
    const dir = tempDir('serve-empty');
    try {
      assert.throws(() => serveDirectory(dir, 0), /has no index\.html: export a model there first/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
