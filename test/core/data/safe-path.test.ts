/** Manifest paths cannot leave their image root (small files made in a temp folder; no dataset). */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { realPathInside, resolveInside } from '../../../core/data/safe-path';

describe('resolveInside', () => {
  const root = path.resolve('/data/images');

  it('resolves paths inside the root', () => {
    assert.equal(resolveInside(root, 'a/b.jpg'), path.join(root, 'a', 'b.jpg'));
    assert.equal(resolveInside(root, './a/../b.jpg'), path.join(root, 'b.jpg'));
    assert.equal(resolveInside(root, path.join(root, 'c.jpg')), path.join(root, 'c.jpg'));
    // A name that starts with two dots is a file in the root, not its parent.
    assert.equal(resolveInside(root, '..cover.jpg'), path.join(root, '..cover.jpg'));
    assert.equal(resolveInside(root, 'a/..b/c.jpg'), path.join(root, 'a', '..b', 'c.jpg'));
  });

  it('refuses paths that escape it', () => {
    for (const bad of ['../../etc/passwd', '../images-other/x.jpg', '/etc/passwd', 'a/../../x.jpg', '.', '', 'a\0b']) {
      assert.equal(resolveInside(root, bad), undefined, bad);
    }
  });
});

describe('realPathInside', () => {
  it('accepts a real file named ..x inside the root, and refuses a symlink that leaves it', async () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-safe-path-')));
    try {
      const root = path.join(dir, 'images');
      fs.mkdirSync(root);
      fs.writeFileSync(path.join(root, '..cover.jpg'), 'x');
      fs.writeFileSync(path.join(dir, 'secret.jpg'), 'x');
      fs.symlinkSync(path.join(dir, 'secret.jpg'), path.join(root, 'link.jpg'));
      assert.deepEqual(await realPathInside(root, path.join(root, '..cover.jpg')), { ok: true, path: path.join(root, '..cover.jpg') });
      const escaped = await realPathInside(root, path.join(root, 'link.jpg'));
      assert.equal(escaped.ok, false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
