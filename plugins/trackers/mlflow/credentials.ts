/**
 * Where the tracking server is and how to authenticate to it. Credentials come only from the
 * environment (as MLflow's own clients read them), never from a spec, so a spec can be shared
 * and logged as params without leaking anything.
 */
export type Credentials =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string };

export type TrackingEnv = Partial<Record<'MLFLOW_TRACKING_URI' | 'MLFLOW_TRACKING_TOKEN' | 'MLFLOW_TRACKING_USERNAME' | 'MLFLOW_TRACKING_PASSWORD', string>>;

/** The credentials in the environment: a token wins over a username/password pair. */
export function readCredentials(env: TrackingEnv = process.env): Credentials | undefined {
  const token = env.MLFLOW_TRACKING_TOKEN;
  if (token) return { kind: 'bearer', token };
  const username = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username && password !== undefined) return { kind: 'basic', username, password };
  return undefined;
}

/** The Authorization header for `creds`. */
export function authorizationHeader(creds: Credentials): string {
  if (creds.kind === 'bearer') return `Bearer ${creds.token}`;
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
}

/** Strings that must never appear in params, tags or logs. */
export function secretsOf(creds: Credentials | undefined): string[] {
  if (!creds) return [];
  if (creds.kind === 'bearer') return [creds.token, authorizationHeader(creds)];
  return [creds.password, authorizationHeader(creds), Buffer.from(`${creds.username}:${creds.password}`).toString('base64')];
}
