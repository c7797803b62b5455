import type { Touch, Touches } from '../../lead/lead';

function visit(touch: Touch): string {
  return [touch.at, touch.landingPage && `landing ${touch.landingPage}`, touch.referrer && `from ${touch.referrer}`].filter(Boolean).join(', ');
}

function campaign(touch: Touch): string {
  const utm = Object.entries(touch.utm).map(([key, value]) => `utm_${key}=${value}`);
  const ids = Object.entries(touch.clickIds).map(([key, value]) => `${key}=${value}`);
  return [...utm, ...ids].join(', ');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const parts: Array<[number, string]> = [[Math.floor(seconds / 86_400), 'd'], [Math.floor(seconds / 3600) % 24, 'h'], [Math.floor(seconds / 60) % 60, 'min']];
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`).join(' ');
}

/**
 * The snippet's touches for the tracking block: the attributed one is already in UTM_* and the
 * click-id lines, so it gets its visit only; the other one is written out in full.
 */
export function touchLines(touches: Touches): string[] {
  const other = touches.attribution === 'first' ? 'last' : 'first';
  const attributed = touches[touches.attribution];
  const lines: string[] = [];
  if (attributed) lines.push(`${touches.attribution} touch (UTM fields): ${visit(attributed)}`);
  const shown = touches[other];
  if (shown && JSON.stringify(shown) === JSON.stringify(attributed)) lines.push(`${other} touch: the same visit`);
  else if (shown) {
    lines.push(`${other} touch: ${visit(shown)}`);
    const params = campaign(shown);
    if (params) lines.push(`${other} touch campaign: ${params}`);
  }
  if (touches.secondsSinceFirstTouch !== undefined) lines.push(`first touch to submission: ${formatDuration(touches.secondsSinceFirstTouch)}`);
  return lines;
}
