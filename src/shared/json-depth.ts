/**
 * No JSON body leadgate takes is deeper than a handful of levels (a batch's lead's contact, Meta's
 * entry → change → value), so 32 is generous; anything deeper is refused before code that walks it
 * recursively (a parser, a fingerprint) could overflow the stack.
 */
export const MAX_JSON_DEPTH = 32;

/** True when no array or object in `value` lies deeper than `max`; walks iteratively, so any depth is safe. */
export function jsonDepthWithin(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) return false;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether no array or object in `text` opens deeper than `max`, counting brackets outside strings.
 * On text that is not JSON the count can be off, which is harmless: the parser stops where the text
 * stops being JSON, and up to there it agrees with this count.
 */
export function jsonTextDepthWithin(text: string, max: number = MAX_JSON_DEPTH): boolean {
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

