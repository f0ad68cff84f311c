import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { container } from 'tsyringe';
import type { TokenBatch, Tokenizer } from '../../../core/contracts/encoders';
import { TOKENIZER } from '../../../core/di-tokens';
import { SpecError } from '../../../core/errors';
import { Logger } from '../../../core/logger';
import { ParamSeeds } from '../../../core/nn/param-seeds';
import type { PluginContext } from '../../../core/plugins/define';
import textTransformer, {
  TextTransformer,
  resolveTextTransformerConfig,
  type TextTransformerConfig,
  type TextTransformerOptions,
} from '../../../plugins/text-encoders/text-transformer';
import { describeOnBackends } from '../../helpers/backends';
import { assertFlatTensorCount } from '../../helpers/memory';
import { decodeArray, gradientErrors, loadTorchParams, maxAbsDiff, readFixture, type EncodedArray } from '../../nn/torch-fixture';
import { withDefaults } from '../../../core/plugins/options';

/** Options as the plugin builder passes them: the schema's defaults filled in. */
const textOptions = (given: Partial<TextTransformerOptions>): TextTransformerOptions => withDefaults(textTransformer.schema, given);

interface TextFixture {
  config: TextTransformerConfig;
  params: Record<string, EncodedArray>;
  ids: number[];
  idsShape: [number, number];
  eot: number[];
  pooled: EncodedArray;
  grads: Record<string, EncodedArray>;
}

function context(tokenizer?: Tokenizer): PluginContext {
  const c = container.createChildContainer();
  if (tokenizer) c.register(TOKENIZER, { useValue: tokenizer });
  return {
    container: c,
    log: new Logger('silent'),
    seed: 0,
    baseDir: '.',
    path: 'model.text',
    settings: { imageSize: 32, embedDim: 16 },
    build: () => {
      throw new Error('not used');
    },
  };
}

const stubTokenizer = (contextLength: number, vocabSize: number): Tokenizer => ({
  contextLength,
  vocabSize,
  encode: (): TokenBatch => {
    throw new Error('not used');
  },
});

const disposeAll = (m: TextTransformer): void => m.variables().forEach((v) => v.variable.dispose());

describeOnBackends('text-transformer text encoder', () => {
  const fixture = readFixture<TextFixture>('encoders', 'text-transformer.json');
  let model: TextTransformer;
  let ids: tf.Tensor2D;
  let eot: tf.Tensor1D;

  before(() => {
    model = new TextTransformer(fixture.config, new ParamSeeds(0, 'model.text'));
    loadTorchParams(model.variables(), fixture.params);
    ids = tf.tensor2d(fixture.ids, fixture.idsShape, 'int32');
    eot = tf.tensor1d(fixture.eot, 'int32');
  });

  after(() => {
    disposeAll(model);
    tf.dispose([ids, eot]);
  });

  it('matches the PyTorch reference at each row’s end-of-text position (1e-4)', () => {
    const pooled = model.forward(ids, eot);
    assert.deepEqual(pooled.shape, [3, 32]);
    assert.ok(maxAbsDiff(pooled, decodeArray(fixture.pooled)) < 1e-4);
    pooled.dispose();
  });

  it('is causal: tokens after the end-of-text position do not change the features', () => {
    const changed = tf.tidy(() => {
      const noise = tf.tensor2d(fixture.ids.map((id, i) => (i % 8 > fixture.eot[Math.floor(i / 8)] ? (id + 17) % 64 : id)), fixture.idsShape, 'int32');
      return model.forward(noise, eot);
    });
    assert.ok(maxAbsDiff(changed, decodeArray(fixture.pooled)) < 1e-4);
    changed.dispose();
  });

  it('accepts rows shorter than the context', () => {
    const short = tf.tidy(() => model.forward(tf.slice(ids, [1, 0], [1, 4]), tf.tensor1d([3], 'int32')));
    assert.ok(maxAbsDiff(short, decodeArray(fixture.pooled).slice(32, 64)) < 1e-4);
    short.dispose();
  });

  it('matches PyTorch gradients of sum(pooled²) (1e-4 relative), embedding and attention included', () => {
    const errors = gradientErrors(model.variables(), () => tf.sum(tf.square(model.forward(ids, eot))), fixture.grads);
    for (const [name, error] of Object.entries(errors)) assert.ok(error < 1e-4, `${name}: relative error ${error}`);
  });

  it('keeps the tensor count flat over repeated forward + backward', async () => {
    const vars = model.variables().map((v) => v.variable);
    await assertFlatTensorCount(4, () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.forward(ids, eot))), vars);
      tf.dispose([value, grads]);
    });
  });

  it('names parameters as open_clip does and excludes biases, norms and the positional embedding from decay', () => {
    const vars = model.variables();
    const byName = new Map(vars.map((v) => [v.name, v]));
    assert.equal(byName.size, vars.length, 'names are unique');
    assert.deepEqual(byName.get('transformer.resblocks.1.attn.in_proj_weight')?.variable.shape, [32, 96]);
    assert.equal(byName.get('transformer.resblocks.1.attn.in_proj_weight')?.transposeForTorch, true);
    assert.equal(byName.get('token_embedding.weight')?.transposeForTorch, undefined);
    assert.deepEqual(
      vars.filter((v) => !v.decay).map((v) => v.name).sort(),
      vars.filter((v) => /(bias|ln_\d\.weight|ln_final\.weight|positional_embedding)$/.test(v.name)).map((v) => v.name).sort(),
    );
  });

  it('rejects rows longer than the context', () => {
    assert.throws(() => model.forward(tf.zeros([1, 9], 'int32') as tf.Tensor2D, tf.tensor1d([8], 'int32')), /context of 8 tokens, got rows of 9/);
  });
});

describe('text-transformer plugin', () => {
  it('takes its context length and vocabulary size from the registered tokenizer', () => {
    const encoder = textTransformer.create!(textOptions({ width: 16, depth: 1, heads: 2 }), context(stubTokenizer(12, 100))) as TextTransformer;
    assert.equal(encoder.contextLength, 12);
    assert.equal(encoder.vocabSize, 100);
    assert.equal(encoder.featureDim, 16);
    assert.deepEqual(encoder.tokenEmbedding.shape, [100, 16]);
    const out = encoder.forward(tf.ones([2, 12], 'int32') as tf.Tensor2D, tf.tensor1d([3, 11], 'int32'));
    assert.deepEqual(out.shape, [2, 16]);
    out.dispose();
    disposeAll(encoder);
  });

  it("falls back to CLIP's sizes without a tokenizer, and to the options when given", () => {
    assert.deepEqual(resolveTextTransformerConfig(textOptions({}), undefined), { width: 512, depth: 12, heads: 8, mlpRatio: 4, contextLength: 77, vocabSize: 49408, activation: 'gelu' });
    assert.equal(resolveTextTransformerConfig(textOptions({ contextLength: 40 }), stubTokenizer(32, 100)).contextLength, 40);
  });

  it('reports a context or vocabulary smaller than the tokenizer’s at the option spec path', () => {
    assert.throws(() => resolveTextTransformerConfig(textOptions({ contextLength: 16 }), stubTokenizer(32, 100), 'model.text'), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.match(err.message, /model\.text\.contextLength: must be at least the tokenizer's context length 32 \(got 16\)/);
      return true;
    });
    assert.throws(() => resolveTextTransformerConfig(textOptions({ vocabSize: 10 }), stubTokenizer(32, 100)), /model\.text\.vocabSize/);
    assert.throws(() => resolveTextTransformerConfig(textOptions({ width: 30, heads: 4 }), undefined), /model\.text\.heads/);
  });
});
