import type { InjectionToken } from 'tsyringe';
import type { ImageEncoder, Tokenizer } from './contracts/encoders';

/**
 * Services the engine registers in an experiment's container before building the plugins
 * that may depend on them (resolve with ctx.container.resolve(TOKEN); check
 * ctx.container.isRegistered(TOKEN) when the plugin can also be built standalone).
 */
export const TOKENIZER: InjectionToken<Tokenizer> = 'slipkit.tokenizer';
export const IMAGE_ENCODER: InjectionToken<ImageEncoder> = 'slipkit.imageEncoder';
