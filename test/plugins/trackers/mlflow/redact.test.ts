import { strict as assert } from 'node:assert';
import { authorizationHeader, readCredentials, secretsOf } from '../../../../plugins/trackers/mlflow/credentials';
import { REDACTED, RedactingLogger, Redactor, redactUri } from '../../../../plugins/trackers/shared/redact';
import { MemoryLog } from '../tracker-fixtures';

describe('mlflow credentials and redaction', () => {
  it('reads credentials only from the environment, a token before a password', () => {
    assert.equal(readCredentials({}), undefined);
    assert.deepEqual(readCredentials({ MLFLOW_TRACKING_TOKEN: 'tok' }), { kind: 'bearer', token: 'tok' });
    assert.deepEqual(readCredentials({ MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw' }), { kind: 'basic', username: 'ann', password: 'pw' });
    assert.deepEqual(readCredentials({ MLFLOW_TRACKING_TOKEN: 'tok', MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw' }), { kind: 'bearer', token: 'tok' });
    assert.equal(readCredentials({ MLFLOW_TRACKING_USERNAME: 'ann' }), undefined);
  });

  it('builds Bearer and Basic headers', () => {
    assert.equal(authorizationHeader({ kind: 'bearer', token: 'abc' }), 'Bearer abc');
    assert.equal(authorizationHeader({ kind: 'basic', username: 'ann', password: 'open sesame' }), `Basic ${Buffer.from('ann:open sesame').toString('base64')}`);
  });

  it('masks the secrets wherever they appear', () => {
    const r = new Redactor(secretsOf({ kind: 'bearer', token: 'tok-123456' }));
    assert.equal(r.text('sent with tok-123456 twice: tok-123456'), `sent with ${REDACTED} twice: ${REDACTED}`);
    assert.equal(r.text('Authorization: Bearer tok-123456'), `Authorization: ${REDACTED}`);
    const basic = new Redactor(secretsOf({ kind: 'basic', username: 'ann', password: 'hunter22' }));
    assert.equal(basic.text('pw=hunter22'), `pw=${REDACTED}`);
    assert.ok(!basic.text(`hdr ${Buffer.from('ann:hunter22').toString('base64')}`).includes(Buffer.from('ann:hunter22').toString('base64')));
  });

  it('masks values whose key names a secret, and only those', () => {
    const r = new Redactor();
    for (const k of ['password', 'db.password', 'service.apiKey', 'hf_token', 'aws.secret_access_key', 'auth', 'x.credentials', 'myToken']) {
      assert.equal(r.value(k, 'v'), REDACTED, k);
    }
    for (const k of ['data.tokenizer.type', 'maxTokens', 'contextLength', 'author', 'compass', 'objectives.1.temperature']) {
      assert.equal(r.value(k, 'v'), 'v', k);
    }
  });

  it('strips user info from URLs', () => {
    assert.equal(redactUri('https://ann:pw@mlflow.example.org/x'), `https://${REDACTED}@mlflow.example.org/x`);
    assert.equal(redactUri('http://127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(new Redactor().text('see s3://key:secret@bucket/p'), `see s3://${REDACTED}@bucket/p`);
  });

  it('redacts every log line before it is written', () => {
    const mem = new MemoryLog('debug');
    const log = new RedactingLogger(mem.logger, new Redactor(['sekret-value'])).child('x');
    log.debug('a sekret-value');
    log.info('b sekret-value');
    log.warn('c sekret-value');
    log.error('d https://u:p@h/');
    assert.equal(mem.lines.length, 4);
    assert.ok(!mem.text.includes('sekret-value'));
    assert.ok(!mem.text.includes('u:p@'));
  });
});
