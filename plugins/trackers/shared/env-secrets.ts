import { Redactor } from './redact';

/**
 * Values of the environment variables whose names say they hold a secret
 * (`MLFLOW_TRACKING_TOKEN`, `…_PASSWORD`, `…_API_KEY`, …): a tracker that prints or
 * records text masks them wherever they appear, whichever service they belong to.
 */
export function environmentSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && value !== '' && Redactor.isSecretKey(name))
    .map(([, value]) => value as string);
}
