import { parse } from 'lossless-json';

/**
 * Meta and Google send int64 ids (Google as JSON numbers), and a double keeps only 2^53 of them
 * exactly. Node 20's JSON.parse reviver cannot see a number's source text, so these bodies go
 * through lossless-json, which hands every number to us as its text.
 */

/**
 * lossless-json descends recursively and overflows the stack a few thousand levels down. No body a
 * source takes is more than a handful deep (Meta's entry → change → value), so the same bound as the
 * partner API's refuses hostile nesting before the parser sees it.
 */
export const MAX_EXACT_JSON_DEPTH = 32;

const INTEGER = /^-?[0-9]+$/;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Integers a double cannot hold exactly stay their digit string; every other number is a number. */
function exactNumber(token: string): number | string {
  const value = Number(token);
  return Number.isSafeInteger(value) || !INTEGER.test(token) ? value : token;
}

/**
 * Whether no array or object in `text` opens deeper than `max`, counting brackets outside strings.
 * On text that is not JSON the count can be off, which is harmless: the parser stops where the text
 * stops being JSON, and up to there it agrees with this count.
 */
function nestingWithin(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      for (i += 1; i < text.length; i += 1) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) i += 1;
        else if (c === QUOTE) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > max) return false;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return true;
}

/**
 * Parses JSON text; integers that a double cannot hold exactly come back as decimal strings.
 * Throws SyntaxError for text that is not JSON, nesting deeper than MAX_EXACT_JSON_DEPTH, and a key
 * repeated with a different value (JSON.parse would keep the last, and which copy a reader believes
 * is exactly what a hostile body plays on). `__proto__` is an own key, as with JSON.parse.
 */
export function parseJsonExact(text: string): unknown {
  if (!nestingWithin(text, MAX_EXACT_JSON_DEPTH)) {
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
