/** At most this much of any one value is kept: a landing page's field is never a document. */
export const MAX_VALUE_LENGTH = 10_000;

/**
 * A body value as lead text: strings trimmed, numbers as their digits (lossless-json hands big
 * integers over as digit strings), booleans as yes/no, lists of those joined with ", " (Unbounce
 * sends every answer as a list). Objects and empty values are nothing.
 */
export function valueText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const text = value.trim();
    return text === '' ? undefined : text.slice(0, MAX_VALUE_LENGTH);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) {
    const parts = value.map((item) => (Array.isArray(item) ? undefined : valueText(item))).filter((v): v is string => v !== undefined);
    return parts.length > 0 ? parts.join(', ').slice(0, MAX_VALUE_LENGTH) : undefined;
  }
  return undefined;
}
