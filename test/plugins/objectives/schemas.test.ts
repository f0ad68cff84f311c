import Ajv from 'ajv';
import { strict as assert } from 'node:assert';
import type { AnyPluginDefinition } from '../../../core/plugins/define';
import { builtinPlugins } from '../../../plugins/index';
import barlowTwins from '../../../plugins/objectives/barlow-twins';
import byol from '../../../plugins/objectives/byol';
import clip from '../../../plugins/objectives/clip';
import mocov3 from '../../../plugins/objectives/mocov3';
import simclr from '../../../plugins/objectives/simclr';
import simsiam from '../../../plugins/objectives/simsiam';
import vicreg from '../../../plugins/objectives/vicreg';
import dcl from '../../../plugins/objectives/dcl';
import dclw from '../../../plugins/objectives/dclw';
import dino from '../../../plugins/objectives/dino';
import nnclr from '../../../plugins/objectives/nnclr';
import swav from '../../../plugins/objectives/swav';
import mae from '../../../plugins/objectives/mae';

/** Each objective's defaults: the settings of its paper or official code (SLIP for CLIP and SimCLR). */
const objectives: Array<[AnyPluginDefinition, object]> = [
  [clip, { views: ['clip'], initTemperature: 0.07, maxLogitScale: 100, learnable: true }],
  [simclr, { views: ['ssl', 'ssl'], temperature: 0.1, head: { hidden: [4096, 4096], out: 256 } }],
  [mocov3, { views: ['ssl', 'ssl'], temperature: 0.2, projector: { hidden: [4096, 4096], out: 256 }, predictor: { hidden: [4096] }, momentum: { start: 0.99, end: 1 } }],
  [byol, { views: ['ssl', 'ssl'], projector: { hidden: [4096], out: 256 }, predictor: { hidden: [4096] }, momentum: { start: 0.99, end: 1 } }],
  [simsiam, { views: ['ssl', 'ssl'], projector: { hidden: [2048, 2048], out: 2048 }, predictor: { hidden: [512] } }],
  [barlowTwins, { views: ['ssl', 'ssl'], lambda: 0.0051, projector: { hidden: [8192, 8192], out: 8192 } }],
  [vicreg, { views: ['ssl', 'ssl'], invarianceCoeff: 25, varianceCoeff: 25, covarianceCoeff: 1, stdTarget: 1, varianceEps: 0.0001, projector: { hidden: [8192, 8192], out: 8192 } }],
  [dcl, { views: ['ssl', 'ssl'], temperature: 0.1, head: { hidden: [2048], out: 128 } }],
  [dclw, { views: ['ssl', 'ssl'], temperature: 0.1, head: { hidden: [2048], out: 128 }, sigma: 0.5 }],
  [
    dino,
    {
      views: ['ssl', 'ssl'],
      globalViews: 2,
      outDim: 65536,
      head: { hidden: [2048, 2048], bottleneck: 256 },
      studentTemperature: 0.1,
      teacherTemperature: { start: 0.04, end: 0.04, warmupSteps: 0 },
      centerMomentum: 0.9,
      momentum: { start: 0.996, end: 1 },
      freezeLastLayerSteps: 0,
    },
  ],
  [
    swav,
    {
      views: ['ssl', 'ssl'],
      globalViews: 2,
      projector: { hidden: [2048], out: 128 },
      prototypes: 3000,
      temperature: 0.1,
      sinkhorn: { iterations: 3, epsilon: 0.05 },
      queueSize: 0,
      queueStartStep: 0,
      freezePrototypesSteps: 313,
    },
  ],
  [mae, { views: ['mae'], decoder: { width: 512, depth: 8, heads: 16, mlpRatio: 4 }, normPixLoss: true, channels: 3 }],
  [nnclr, { views: ['ssl', 'ssl'], temperature: 0.1, projector: { hidden: [2048, 2048], out: 256 }, predictor: { hidden: [4096] }, queueSize: 98304 }],
];

/** Validates options the way the spec validator does (ajv, defaults filled in place). */
function validate(def: AnyPluginDefinition, options: Record<string, unknown>): { ok: boolean; options: Record<string, unknown>; errors: string[] } {
  const check = new Ajv({ useDefaults: true, strict: false, allErrors: true }).compile(def.schema);
  const copy = structuredClone(options);
  const ok = check(copy) as boolean;
  return { ok, options: copy, errors: (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`) };
}

describe('objective schemas', () => {
  it('registers every objective in the built-in manifest', () => {
    const names = builtinPlugins.filter((p) => p.kind === 'objective').map((p) => p.name);
    for (const [def] of objectives) assert.ok(names.includes(def.name), `${def.name} is listed in plugins/index.ts`);
  });

  for (const [def, defaults] of objectives) {
    describe(def.name, () => {
      it('fills every default, nested ones included: the paper settings', () => {
        const r = validate(def, {});
        assert.ok(r.ok, r.errors.join('; '));
        assert.deepEqual(r.options, defaults);
      });

      it('closes every object to unknown keys and describes every option', () => {
        assert.equal(validate(def, { temprature: 0.1 }).ok, false);
        const props = def.schema.properties as Record<string, { description?: string }>;
        for (const [key, s] of Object.entries(props)) assert.ok(s.description, `${def.name}.${key} has a description`);
        assert.ok(!('weight' in props), 'weight is the engine’s (a common property), not the plugin’s');
      });
    });
  }

  it('merges a partial head with the head defaults', () => {
    const r = validate(simclr, { head: { out: 128 } });
    assert.ok(r.ok);
    assert.deepEqual(r.options.head, { hidden: [4096, 4096], out: 128 });
  });

  it('rejects a zero temperature, an out-of-range momentum and a wrong number of views', () => {
    assert.equal(validate(simclr, { temperature: 0 }).ok, false);
    assert.equal(validate(mocov3, { temperature: 0 }).ok, false);
    assert.equal(validate(clip, { initTemperature: 0 }).ok, false);
    assert.equal(validate(byol, { momentum: { start: 1.01 } }).ok, false);
    assert.equal(validate(simsiam, { views: ['ssl'] }).ok, false);
    assert.equal(validate(vicreg, { projector: { hidden: [0] } }).ok, false);
  });
});
