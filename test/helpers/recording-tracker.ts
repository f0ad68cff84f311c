import { definePlugin } from '../../core/plugins/define';

/**
 * A tracker plugin for tests, registered as "recording": every logMetrics call goes to
 * `record(metrics, step)`; the other tracker calls do nothing.
 */
export function recordingTracker(record: (metrics: Record<string, number>, step: number) => void) {
  return definePlugin({
    kind: 'tracker',
    name: 'recording',
    description: 'test tracker: remembers logMetrics calls',
    schema: { type: 'object', properties: {} },
    create: () => ({
      start: async () => undefined,
      logParams: async () => undefined,
      setTags: async () => undefined,
      logMetrics: (m: Record<string, number>, step: number) => record(m, step),
      logArtifact: async () => undefined,
      flush: async () => undefined,
      end: async () => undefined,
    }),
  });
}
