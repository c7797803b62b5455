import { html, type SafeHtml } from './html';

/** Colour-blind-friendly (Okabe-Ito), assigned to names in a fixed order so a name keeps its colour across charts. */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

export function colourFor(names: string[]): Map<string, string> {
  return new Map([...names].sort().map((name, i) => [name, PALETTE[i % PALETTE.length]!]));
}

const WIDTH = 600;
const HEIGHT = 106;

function bucketLabel(start: number, bucketMs: number): string {
  const iso = new Date(start).toISOString();
  return bucketMs < 3_600_000 ? `${iso.slice(11, 16)} UTC` : `${iso.slice(5, 10)} ${iso.slice(11, 13)}:00 UTC`;
}

/**
 * A stacked bar chart as inline SVG, drawn on the server: no chart library, no script, and colours as
 * SVG presentation attributes, which the console's CSP (no inline style) allows. Each bar carries a
 * <title> with its time and counts, which browsers show on hover and screen readers read.
 */
export function stackedBars(options: { label: string; series: Record<string, number[]>; starts: number[]; bucketMs: number; colours: Map<string, string> }): SafeHtml {
  const { series, starts, bucketMs, colours } = options;
  const names = Object.keys(series).sort();
  const totals = starts.map((_, i) => names.reduce((sum, name) => sum + (series[name]![i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const slot = WIDTH / starts.length;
  const barWidth = Math.max(1, slot * 0.8);
  const plot = HEIGHT;
  const bars = starts.map((start, i) => {
    let y = plot;
    const parts = names.map((name) => {
      const n = series[name]![i] ?? 0;
      if (n === 0) return '';
      const h = (n / max) * (plot - 4);
      y -= h;
      return html`<rect x="${(i * slot).toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${colours.get(name) ?? '#777'}"></rect>`;
    });
    const detail = names.filter((name) => (series[name]![i] ?? 0) > 0).map((name) => `${name} ${series[name]![i]}`).join(', ');
    return html`<g><title>${bucketLabel(start, bucketMs)}: ${totals[i] ?? 0}${detail ? ` (${detail})` : ''}</title><rect x="${(i * slot).toFixed(1)}" y="0" width="${slot.toFixed(1)}" height="${plot}" fill="transparent"></rect>${parts}</g>`;
  });
  // Stretched to the card's width, so the axis labels are HTML beside it (SVG text would stretch too).
  return html`<div class="chart-frame"><span class="muted axis-max">max ${max}</span>
<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${options.label}" preserveAspectRatio="none">
<line x1="0" y1="${plot}" x2="${WIDTH}" y2="${plot}" stroke="#dde2ea"></line>
${bars}
</svg>
<div class="axis muted"><span>${bucketLabel(starts[0] ?? 0, bucketMs)}</span><span>now</span></div></div>`;
}

export function legend(names: string[], colours: Map<string, string>, totals: Record<string, number>): SafeHtml {
  return html`<ul class="legend">${names.map(
    (name) => html`<li><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${colours.get(name) ?? '#777'}"></rect></svg> ${name} <strong>${totals[name] ?? 0}</strong></li>`,
  )}</ul>`;
}
