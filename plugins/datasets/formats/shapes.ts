import { Rng } from '../../../core/toolkit';

/**
 * Procedural scenes of one or two coloured shapes with a caption that describes them
 * compositionally ("a small red circle on the left of a large blue square"). Synthetic,
 * deterministic by (seed, index), drawn in plain JavaScript.
 */
export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type ShapeName = (typeof SHAPES)[number];

export const SHAPE_COLOURS = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 80, 220],
  yellow: [235, 200, 40],
  purple: [150, 60, 190],
  orange: [245, 140, 30],
} as const satisfies Record<string, readonly [number, number, number]>;
export type ColourName = keyof typeof SHAPE_COLOURS;
const COLOUR_NAMES = Object.keys(SHAPE_COLOURS) as ColourName[];

/** Radius range (fraction of the image side) of small and large shapes. */
const RADIUS = { small: [0.08, 0.12], large: [0.16, 0.21] } as const;
type SizeName = keyof typeof RADIUS;

/** Where the first shape is relative to the second, and the phrase for the reverse view. */
const RELATIONS = {
  'on the left of': 'on the right of',
  'on the right of': 'on the left of',
  above: 'below',
  below: 'above',
} as const;
type Relation = keyof typeof RELATIONS;

export interface ShapeObject {
  shape: ShapeName;
  colour: ColourName;
  size: SizeName;
  /** Centre and radius in pixels. */
  cx: number;
  cy: number;
  r: number;
}

export interface ShapeScene {
  objects: ShapeObject[];
  relation?: Relation;
  background: [number, number, number];
}

export function describeObject(o: ShapeObject): string {
  return `${o.size} ${o.colour} ${o.shape}`;
}

/** Every equivalent caption of a scene (both orders of a two-shape scene). */
export function sceneCaptions(scene: ShapeScene): string[] {
  const [a, b] = scene.objects;
  if (!b || !scene.relation) return [`a ${describeObject(a)}`, `a ${describeObject(a)} on a plain background`];
  return [`a ${describeObject(a)} ${scene.relation} a ${describeObject(b)}`, `a ${describeObject(b)} ${RELATIONS[scene.relation]} a ${describeObject(a)}`];
}

/**
 * Lays out a scene: with two shapes, the first sits in the half of the image its relation
 * names and the second in the other half, so the caption is always true.
 */
export function makeScene(rng: Rng, side: number, maxObjects: 1 | 2): ShapeScene {
  const count = maxObjects === 1 ? 1 : 1 + rng.int(2);
  const grey = 215 + rng.int(30);
  const background: [number, number, number] = [grey, grey, grey];
  const draw = (): Omit<ShapeObject, 'cx' | 'cy'> => {
    const size: SizeName = rng.bernoulli(0.5) ? 'small' : 'large';
    const [lo, hi] = RADIUS[size];
    return { shape: SHAPES[rng.int(SHAPES.length)], colour: COLOUR_NAMES[rng.int(COLOUR_NAMES.length)], size, r: side * rng.uniform(lo, hi) };
  };
  const place = (o: Omit<ShapeObject, 'cx' | 'cy'>, x0: number, x1: number, y0: number, y1: number): ShapeObject => ({
    ...o,
    cx: rng.uniform(x0 + o.r, Math.max(x0 + o.r, x1 - o.r)),
    cy: rng.uniform(y0 + o.r, Math.max(y0 + o.r, y1 - o.r)),
  });
  if (count === 1) return { objects: [place(draw(), 0, side, 0, side)], background };
  const relation = (Object.keys(RELATIONS) as Relation[])[rng.int(4)];
  const a = draw();
  let b = draw();
  while (b.shape === a.shape && b.colour === a.colour && b.size === a.size) b = draw();
  const half = side / 2;
  const [aBox, bBox]: Array<[number, number, number, number]> =
    relation === 'on the left of' ? [[0, half, 0, side], [half, side, 0, side]]
    : relation === 'on the right of' ? [[half, side, 0, side], [0, half, 0, side]]
    : relation === 'above' ? [[0, side, 0, half], [0, side, half, side]]
    : [[0, side, half, side], [0, side, 0, half]];
  return { objects: [place(a, ...aBox), place(b, ...bBox)], relation, background };
}

function inside(o: ShapeObject, x: number, y: number): boolean {
  const dx = x - o.cx;
  const dy = y - o.cy;
  switch (o.shape) {
    case 'circle':
      return dx * dx + dy * dy <= o.r * o.r;
    case 'square': {
      const h = o.r * 0.85; // a square looks as big as a circle of radius r when its half-side is a bit smaller
      return Math.abs(dx) <= h && Math.abs(dy) <= h;
    }
    case 'triangle': {
      // Upward equilateral triangle inscribed in the circle of radius r: apex at the top.
      const ty = dy - o.r * 0.15; // centre it visually
      if (ty > o.r / 2) return false;
      return Math.abs(dx) * Math.sqrt(3) <= ty + o.r;
    }
  }
}

/** Rasterises a scene to side x side RGB, 2x2 supersampled so edges are anti-aliased. */
export function renderScene(scene: ShapeScene, side: number): Uint8Array {
  const out = new Uint8Array(side * side * 3);
  const offsets = [0.25, 0.75];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const acc = [0, 0, 0];
      for (const oy of offsets) {
        for (const ox of offsets) {
          let colour: readonly number[] = scene.background;
          for (const o of scene.objects) if (inside(o, x + ox, y + oy)) colour = SHAPE_COLOURS[o.colour];
          acc[0] += colour[0];
          acc[1] += colour[1];
          acc[2] += colour[2];
        }
      }
      const p = (y * side + x) * 3;
      out[p] = Math.round(acc[0] / 4);
      out[p + 1] = Math.round(acc[1] / 4);
      out[p + 2] = Math.round(acc[2] / 4);
    }
  }
  return out;
}
