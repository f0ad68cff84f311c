import sharp from 'sharp';

/** Renders a loss curve (one value per step) to a PNG: an SVG polyline rasterised by sharp. */
export async function renderLossCurve(values: readonly number[], file: string, title = 'training loss'): Promise<void> {
  const width = 640;
  const height = 360;
  const pad = { left: 56, right: 16, top: 28, bottom: 32 };
  const finite = values.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const span = hi - lo || 1;
  const x = (i: number) => pad.left + ((width - pad.left - pad.right) * i) / Math.max(1, values.length - 1);
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (1 - (v - lo) / span);
  const points = values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
  const ticks = [lo, lo + span / 2, hi]
    .map((v) => `<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" font-family="sans-serif">${v.toPrecision(3)}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-family="sans-serif">${title} (${values.length} steps)</text>
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#888"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#888"/>
${ticks}
<text x="${width - pad.right}" y="${height - 10}" text-anchor="end" font-size="11" font-family="sans-serif">step ${values.length}</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>
</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}
