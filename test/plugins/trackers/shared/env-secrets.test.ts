import { strict as assert } from 'node:assert';
import { environmentSecrets } from '../../../../plugins/trackers/shared/env-secrets';

describe('environmentSecrets', () => {
  it('returns the values of secret-named variables, whichever service they belong to', () => {
    const env = {
      MLFLOW_TRACKING_TOKEN: 'tok-1234',
      MLFLOW_TRACKING_PASSWORD: 'pw-5678',
      MLFLOW_TRACKING_USERNAME: 'alice',
      HF_TOKEN: 'hf-abcd',
      SERVICE_API_KEY: 'key-9999',
      PATH: '/usr/bin',
      EMPTY_TOKEN: '',
    };
    assert.deepEqual(environmentSecrets(env).sort(), ['hf-abcd', 'key-9999', 'pw-5678', 'tok-1234']);
  });
});
