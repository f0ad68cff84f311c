/** Manifest paths cannot leave their image root (no data). */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { resolveInside } from '../../../core/data/safe-path';

describe('resolveInside', () => {
  const root = path.resolve('/data/images');

  it('resolves paths inside the root', () => {
    assert.equal(resolveInside(root, 'a/b.jpg'), path.join(root, 'a', 'b.jpg'));
    assert.equal(resolveInside(root, './a/../b.jpg'), path.join(root, 'b.jpg'));
    assert.equal(resolveInside(root, path.join(root, 'c.jpg')), path.join(root, 'c.jpg'));
  });

  it('refuses paths that escape it', () => {
    for (const bad of ['../../etc/passwd', '../images-other/x.jpg', '/etc/passwd', 'a/../../x.jpg', '.', '', 'a\0b']) {
      assert.equal(resolveInside(root, bad), undefined, bad);
    }
  });
});
