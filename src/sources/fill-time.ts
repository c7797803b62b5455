/** The hidden field the snippet stamps with the time the form was shown (epoch milliseconds). */
export const SHOWN_AT_FIELD = 'lg_shown_at';
/** The time from showing to sending, measured by the browser itself (milliseconds). */
export const FILL_MS_FIELD = 'lg_fill_ms';

const WHOLE_NUMBER = /^\d{1,15}$/;

/**
 * `too_fast` when the form was sent sooner than `minFillSeconds` after it was shown; otherwise no
 * judgement. The browser's own elapsed time wins: it is immune to a visitor's clock being set wrong.
 * Without it, the shown-at stamp is compared with our clock, and a stamp in the future judges nothing
 * (a clock running ahead must not look like a bot). A missing or unreadable value (a plain HTML form,
 * no snippet) judges nothing. Pure: `nowMs` comes from the caller.
 */
export function judgeFillTime(
  fields: { shownAt?: string; fillMs?: string },
  minFillSeconds: number | undefined,
  nowMs: number,
): 'too_fast' | undefined {
  if (minFillSeconds === undefined) return undefined;
  const fillMs = fields.fillMs?.trim();
  const shownAt = fields.shownAt?.trim();
  let elapsedMs: number;
  if (fillMs !== undefined && WHOLE_NUMBER.test(fillMs)) elapsedMs = Number(fillMs);
  else if (shownAt !== undefined && WHOLE_NUMBER.test(shownAt)) elapsedMs = nowMs - Number(shownAt);
  else return undefined;
  if (elapsedMs < 0) return undefined;
  return elapsedMs < minFillSeconds * 1000 ? 'too_fast' : undefined;
}
