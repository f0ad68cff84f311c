/**
 * Named prompt-template sets for the zero-shot evaluator (its data, not a plugin). Each
 * template has a `{}` that the class name replaces. A spec names a set
 * (`"templates": "mnist"`) or lists its own.
 */
export const PROMPT_TEMPLATE_SETS = {
  /** Used when neither the spec nor the dataset gives templates. */
  generic: ['a photo of a {}.', 'a photo of the {}.', 'a picture of a {}.', 'an image of a {}.', 'a cropped photo of a {}.'],
  /** The 7-template subset CLIP's authors recommend for ImageNet (CLIP notebooks, "Prompt_Engineering_for_ImageNet"). */
  'imagenet-simple': [
    'itap of a {}.',
    'a bad photo of the {}.',
    'a origami {}.',
    'a photo of the large {}.',
    'a {} in a video game.',
    'art of the {}.',
    'a photo of the small {}.',
  ],
  /** MNIST digits; the first is CLIP's MNIST prompt. Class names are the digits ("0" … "9"). */
  mnist: [
    'a photo of the number: "{}".',
    'a photo of the number {}.',
    'a handwritten digit {}.',
    'a black and white photo of the number {}.',
    'an image of the digit {}.',
  ],
  /** Fashion-MNIST garments ("t-shirt/top", "trouser", …). */
  'fashion-mnist': [
    'a photo of a {}.',
    'a black and white photo of a {}.',
    'a low resolution photo of a {}.',
    'a photo of the {}, a type of clothing.',
    'a grayscale image of a {}.',
  ],
  /** synthetic-shapes: rendered geometric shapes. */
  shapes: ['a {}.', 'a drawing of a {}.', 'an image of a {}.', 'a picture of a {} shape.', 'a simple rendered {}.'],
} as const satisfies Record<string, readonly string[]>;

export type PromptTemplateSetName = keyof typeof PROMPT_TEMPLATE_SETS;

export const PROMPT_TEMPLATE_SET_NAMES = Object.keys(PROMPT_TEMPLATE_SETS) as PromptTemplateSetName[];

/** Spec value: a set's name or an explicit list. */
export type TemplatesOption = PromptTemplateSetName | readonly string[];

export function isPromptTemplateSetName(value: string): value is PromptTemplateSetName {
  return Object.prototype.hasOwnProperty.call(PROMPT_TEMPLATE_SETS, value);
}

/**
 * The templates to use: the spec's (a set name or a list), else the dataset's own, else
 * the generic set.
 */
export function resolveTemplates(option: TemplatesOption | undefined, datasetTemplates: readonly string[] | undefined): readonly string[] {
  if (typeof option === 'string') return PROMPT_TEMPLATE_SETS[option];
  if (option && option.length > 0) return option;
  if (datasetTemplates && datasetTemplates.length > 0) return datasetTemplates;
  return PROMPT_TEMPLATE_SETS.generic;
}
