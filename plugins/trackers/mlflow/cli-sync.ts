import type { Command } from 'commander';
import { type CliContext, log, TrackingError } from '../../../core/toolkit';
import { readCredentials, secretsOf } from './credentials';
import { LocalStore } from './local-store';
import { RedactingLogger, Redactor } from '../shared/redact';
import { MlflowRestClient } from './rest-client';
import { readRunState } from './run-state';
import { replayRunDir, uploadLocalStore, type UploadResult } from './sync';
import { requireServerUri } from './target';

interface SyncOptions {
  to?: string;
  dir: string;
  experiment?: string;
}

/** A client with the environment's credentials, and a logger that masks them. */
function clientFor(uri: string): { client: MlflowRestClient; logger: RedactingLogger } {
  const credentials = readCredentials();
  const logger = new RedactingLogger(log.child('sync'), new Redactor(secretsOf(credentials)));
  return { client: new MlflowRestClient({ uri, credentials, log: logger }), logger };
}

function reportUploads(ctx: CliContext, results: UploadResult[], uri: string): void {
  for (const r of results) {
    ctx.stdout.write(
      `${r.experiment}/${r.runName} ${r.localRunId} -> ${r.remoteRunId}${r.created ? ' (new)' : ''}: ` +
        `${r.params} param(s), ${r.tags} tag(s), ${r.metrics} metric point(s), ${r.artifacts} artifact(s) sent\n`,
    );
  }
  ctx.stdout.write(`${results.length} run(s) in sync with ${uri}\n`);
  if (results.some((r) => r.problems.length)) ctx.exitCode = 1;
}

export function registerSync(program: Command, ctx: CliContext): void {
  program
    .command('sync')
    .description("send a run directory's buffered tracking records to its MLflow server, or (--to) upload local-store runs to a server")
    .argument('[run-dir]', 'run directory whose outbox (tracking/outbox.jsonl) to send')
    .option('--to <uri>', 'MLflow server (default for a run directory: the one it was logging to)')
    .option('--dir <dir>', 'local store to upload from, with --to', 'mlruns')
    .option('--experiment <name>', 'with --to: upload only this experiment')
    .action(async (runDir: string | undefined, opts: SyncOptions) => {
      const to = opts.to !== undefined ? requireServerUri(opts.to, '--to') : undefined;
      if (!runDir) {
        if (!to) throw new TrackingError('say what to sync: a run directory, or --to <uri> to upload the local store');
        const { client, logger } = clientFor(to);
        reportUploads(ctx, await uploadLocalStore(new LocalStore(opts.dir), client, logger, { experiment: opts.experiment }), client.displayUri);
        return;
      }
      const state = readRunState(runDir);
      if (state?.store === 'local') {
        if (!to) throw new TrackingError(`${runDir} was tracked to the local store ${state.location}: give --to <uri> to upload it`);
        const { client, logger } = clientFor(to);
        reportUploads(ctx, await uploadLocalStore(new LocalStore(state.location), client, logger, { runId: state.runId }), client.displayUri);
        return;
      }
      const uri = to ?? state?.location;
      if (!uri) throw new TrackingError(`${runDir} has no tracking state (tracking/state.json)`);
      const { client, logger } = clientFor(uri);
      const result = await replayRunDir(runDir, client, logger);
      ctx.stdout.write(`run ${result.runId ?? '(not created)'}: sent ${result.sent} operation(s), ${result.rejected} refused, ${result.remaining} left\n`);
      if (result.outcome !== 'delivered') {
        throw new TrackingError(`${result.remaining} operation(s) could not be sent to ${client.displayUri} (${result.outcome}); they stay in ${runDir}/tracking/outbox.jsonl`);
      }
    });
}
