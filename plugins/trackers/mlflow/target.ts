import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecError, TrackingError } from '../../../core/toolkit';
import type { TrackingEnv } from './credentials';
import { redactUri } from '../shared/redact';

/** Where a run is tracked: an MLflow server over REST, or the local store. */
export type TrackingTarget = { kind: 'rest'; uri: string } | { kind: 'local'; dir: string };

const CREDENTIALS_IN_URI =
  'credentials in the tracking URI are not accepted (they would end up in logs and params): ' +
  'set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD';

/**
 * Resolves the tracking target as MLflow does: the spec's `uri`, else MLFLOW_TRACKING_URI,
 * else the local store in `localDir`. An `http(s)://` URI is a server; a `file:` URI or a
 * plain path is a local store. `specPath` locates the option in error messages.
 */
export function resolveTarget(specUri: string | undefined, localDir: string, env: TrackingEnv, specPath: string): TrackingTarget {
  const fromSpec = specUri !== undefined && specUri !== '';
  const raw = fromSpec ? specUri : env.MLFLOW_TRACKING_URI;
  const fail = (message: string): never => {
    throw fromSpec ? SpecError.at(`${specPath}.uri`, message) : new TrackingError(`MLFLOW_TRACKING_URI: ${message}`);
  };
  if (!raw) return { kind: 'local', dir: path.resolve(localDir) };
  if (/^https?:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail(`"${redactUri(raw)}" is not a valid URL`);
    }
    if (url.username || url.password) return fail(CREDENTIALS_IN_URI);
    return { kind: 'rest', uri: raw.replace(/\/+$/, '') };
  }
  if (/^file:/i.test(raw)) return { kind: 'local', dir: fileURLToPath(raw) };
  if (!/^[a-z][a-z0-9+.-]+:/i.test(raw)) return { kind: 'local', dir: path.resolve(raw) };
  return fail(`unsupported tracking URI "${redactUri(raw)}": use an MLflow server (http:// or https://) or a local store path`);
}

/** A server URI given on the command line: http(s) and without credentials. */
export function requireServerUri(raw: string, label: string): string {
  if (!/^https?:\/\//i.test(raw)) throw new TrackingError(`${label}: "${redactUri(raw)}" is not an MLflow server URI (http:// or https://)`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TrackingError(`${label}: "${redactUri(raw)}" is not a valid URL`);
  }
  if (url.username || url.password) throw new TrackingError(`${label}: ${CREDENTIALS_IN_URI}`);
  return raw.replace(/\/+$/, '');
}
