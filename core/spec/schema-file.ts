import type { PluginRegistry } from '../plugins/registry';
import { composeExperimentSchema } from './compose-schema';

/** The committed editor schema's exact text (schemas/experiment.schema.json). */
export function experimentSchemaText(registry: PluginRegistry): string {
  return JSON.stringify(composeExperimentSchema(registry), null, 2) + '\n';
}
