/** CLIP's BPE constants, free of Node and of slipkit's core, so the exported web page can bundle them. */

/** CLIP's pre-tokenizer: contractions, letter runs, single digits, other non-space runs. */
export const CLIP_PRE_TOKEN = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

export const CLIP_START_TOKEN = 49406;
export const CLIP_END_TOKEN = 49407;
export const CLIP_VOCAB_SIZE = 49408;
