/** The hidden field the snippet stamps with the time the form was shown (epoch milliseconds). */
export const SHOWN_AT_FIELD = 'lg_shown_at';

/**
 * `too_fast` when the form was sent sooner than `minFillSeconds` after it was shown; otherwise no
 * judgement. A missing or unreadable stamp (a plain HTML form, no snippet) judges nothing, and so does
 * a stamp in the future: the stamp is the browser's clock, and a visitor whose clock runs ahead must
 * not look like a bot. Pure: `nowMs` comes from the caller.
 */
export function judgeFillTime(stamp: string | undefined, minFillSeconds: number | undefined, nowMs: number): 'too_fast' | undefined {
  if (minFillSeconds === undefined || stamp === undefined) return undefined;
  if (!/^\d{1,15}$/.test(stamp.trim())) return undefined;
  const elapsedMs = nowMs - Number(stamp.trim());
  if (elapsedMs < 0) return undefined;
  return elapsedMs < minFillSeconds * 1000 ? 'too_fast' : undefined;
}
