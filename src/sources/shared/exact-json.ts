import { parse } from 'lossless-json';
import { MAX_JSON_DEPTH, jsonTextDepthWithin } from '../../shared/json-depth';

/**
 * Meta and Google send int64 ids (Google as JSON numbers), and a double keeps only 2^53 of them
 * exactly. Node 20's JSON.parse reviver cannot see a number's source text, so these bodies go
 * through lossless-json, which hands every number to us as its text.
 */

/**
 * lossless-json descends recursively and overflows the stack a few thousand levels down: the text's
 * nesting is bounded first (the same bound as every JSON body leadgate takes).
 */
export const MAX_EXACT_JSON_DEPTH = MAX_JSON_DEPTH;

const INTEGER = /^-?[0-9]+$/;
/** Integers a double cannot hold exactly stay their digit string; every other number is a number. */
function exactNumber(token: string): number | string {
  const value = Number(token);
  return Number.isSafeInteger(value) || !INTEGER.test(token) ? value : token;
}

/**
 * Parses JSON text; integers that a double cannot hold exactly come back as decimal strings.
 * Throws SyntaxError for text that is not JSON, nesting deeper than MAX_EXACT_JSON_DEPTH, and a key
 * repeated with a different value (JSON.parse would keep the last, and which copy a reader believes
 * is exactly what a hostile body plays on). `__proto__` is an own key, as with JSON.parse.
 */
export function parseJsonExact(text: string): unknown {
  if (!jsonTextDepthWithin(text, MAX_EXACT_JSON_DEPTH)) {
    throw new SyntaxError(`JSON nested more than ${MAX_EXACT_JSON_DEPTH} levels deep`);
  }
  return parse(text, null, { parseNumber: exactNumber });
}

/** A JSON id (number or digit string) as its exact digit string, or undefined when it is not one. */
export function idString(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (typeof value === 'string' && /^[0-9]{1,32}$/.test(value)) return value;
  return undefined;
}
