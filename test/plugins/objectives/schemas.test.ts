import Ajv from 'ajv';
import { strict as assert } from 'node:assert';
import type { AnyPluginDefinition } from '../../../core/plugins/define';
import { builtinPlugins } from '../../../plugins/index';
import barlowTwins, { BARLOW_TWINS_DEFAULTS } from '../../../plugins/objectives/barlow-twins';
import byol, { BYOL_DEFAULTS } from '../../../plugins/objectives/byol';
import clip, { CLIP_DEFAULTS } from '../../../plugins/objectives/clip';
import mocov3, { MOCOV3_DEFAULTS } from '../../../plugins/objectives/mocov3';
import simclr, { SIMCLR_DEFAULTS } from '../../../plugins/objectives/simclr';
import simsiam, { SIMSIAM_DEFAULTS } from '../../../plugins/objectives/simsiam';
import vicreg, { VICREG_DEFAULTS } from '../../../plugins/objectives/vicreg';

const objectives: Array<[AnyPluginDefinition, object]> = [
  [clip, CLIP_DEFAULTS],
  [simclr, SIMCLR_DEFAULTS],
  [mocov3, MOCOV3_DEFAULTS],
  [byol, BYOL_DEFAULTS],
  [simsiam, SIMSIAM_DEFAULTS],
  [barlowTwins, BARLOW_TWINS_DEFAULTS],
  [vicreg, VICREG_DEFAULTS],
];

/** Validates options the way the spec validator does (ajv, defaults filled in place). */
function validate(def: AnyPluginDefinition, options: Record<string, unknown>): { ok: boolean; options: Record<string, unknown>; errors: string[] } {
  const check = new Ajv({ useDefaults: true, strict: false, allErrors: true }).compile(def.schema);
  const copy = structuredClone(options);
  const ok = check(copy) as boolean;
  return { ok, options: copy, errors: (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`) };
}

describe('objective schemas', () => {
  it('registers all seven objectives in the built-in manifest', () => {
    const names = builtinPlugins.filter((p) => p.kind === 'objective').map((p) => p.name);
    for (const [def] of objectives) assert.ok(names.includes(def.name), `${def.name} is listed in plugins/index.ts`);
  });

  for (const [def, defaults] of objectives) {
    describe(def.name, () => {
      it('fills every default, nested ones included, equal to the constructor defaults', () => {
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
