import { definePlugin } from '../../core/toolkit';
import { readCredentials, secretsOf } from './mlflow/credentials';
import { LocalSink } from './mlflow/local-sink';
import { LocalStore } from './mlflow/local-store';
import { RedactingLogger, Redactor } from './shared/redact';
import { MlflowRestClient } from './mlflow/rest-client';
import { RestSink } from './mlflow/rest-sink';
import { resolveTarget } from './mlflow/target';
import { MlflowTracker } from './mlflow/tracker';

/** The tracker's options, defaults filled (by the plugin builder, from the schema). */
export interface MlflowTrackerPluginOptions {
  uri?: string;
  experiment?: string;
  localDir: string;
  flushIntervalMs: number;
  timeoutMs: number;
  maxRetries: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export default definePlugin<'tracker', MlflowTrackerPluginOptions>({
  kind: 'tracker',
  name: 'mlflow',
  description: 'MLflow: a tracking server over REST (uri or MLFLOW_TRACKING_URI), else the local ./mlruns store',
  embeddedDefault: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      uri: {
        type: 'string',
        minLength: 1,
        description:
          'MLflow tracking server (http[s]://host:port), or a local store path or file: URI. Default: $MLFLOW_TRACKING_URI, else the local store. ' +
          'Credentials come only from MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD, never from here.',
      },
      experiment: { type: 'string', minLength: 1, description: 'MLflow experiment name (created when missing).' },
      localDir: {
        type: 'string',
        minLength: 1,
        default: 'mlruns',
        description: 'Local store (MLflow FileStore layout) used when no tracking URI is set; relative to the current directory.',
      },
      flushIntervalMs: { type: 'integer', minimum: 10, default: 2000, description: 'How often buffered metrics are written out and sent.' },
      timeoutMs: { type: 'integer', minimum: 100, default: 30_000, description: 'Timeout of one API request to the server.' },
      maxRetries: { type: 'integer', minimum: 0, default: 5, description: 'Retries of a request that failed with 408, 429, 5xx or a connection error.' },
      retryInitialMs: { type: 'integer', minimum: 0, default: 500, description: 'Ceiling of the first (jittered) retry wait; it doubles per retry.' },
      retryMaxMs: { type: 'integer', minimum: 0, default: 10_000, description: 'Longest single retry wait.' },
    },
  },
  create: (options, ctx) => {
    const env = process.env;
    const credentials = readCredentials(env);
    const redactor = new Redactor(secretsOf(credentials));
    const log = new RedactingLogger(ctx.log, redactor);
    const target = resolveTarget(options.uri, options.localDir, env, ctx.path || 'tracking');
    const sink =
      target.kind === 'rest'
        ? new RestSink(
            new MlflowRestClient({
              uri: target.uri,
              credentials,
              timeoutMs: options.timeoutMs,
              retry: { maxRetries: options.maxRetries, initialDelayMs: options.retryInitialMs, maxDelayMs: options.retryMaxMs },
              log,
            }),
            log,
          )
        : new LocalSink(new LocalStore(target.dir), log);
    return new MlflowTracker(sink, redactor, log, { experiment: options.experiment, flushIntervalMs: options.flushIntervalMs });
  },
});
