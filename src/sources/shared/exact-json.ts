/**
 * JSON.parse that keeps every digit of integers beyond 2^53 (Meta and Google send int64 ids, and
 * Google sends them as JSON numbers). Node 20's reviver has no access to the source text, so the
 * text is rewritten first: an integer literal that is not a safe integer becomes a string literal
 * with the same digits. Safe integers, fractions and exponents are left alone.
 *
 * Used by the Meta and Google sources.
 */

// JSON's own number grammar: a token that does not match is left for JSON.parse to reject.
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const INTEGER = /^-?[0-9]+$/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isNumberStart(code: number): boolean {
  return code === 0x2d || (code >= 0x30 && code <= 0x39);
}

/** Parses JSON text; integers that a double cannot hold exactly come back as decimal strings. */
export function parseJsonExact(text: string): unknown {
  let out = '';
  let copiedUpTo = 0;
  // Container stack and whether the next token is an object key: quoting a number in key position
  // would turn invalid JSON ({123…: 1}) into valid JSON, so keys are never touched.
  const stack: string[] = [];
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i += 1;
      while (i < text.length) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) i += 2;
        else if (c === QUOTE) {
          i += 1;
          break;
        } else i += 1;
      }
      continue;
    }
    if (isNumberStart(code)) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) {
        i += 1;
        continue;
      }
      const token = match[0];
      if (!expectKey && INTEGER.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copiedUpTo, i)}"${token}"`;
        copiedUpTo = i + token.length;
      }
      i += token.length;
      continue;
    }
    switch (text[i]) {
      case '{':
        stack.push('{');
        expectKey = true;
        break;
      case '[':
        stack.push('[');
        expectKey = false;
        break;
      case '}':
      case ']':
        stack.pop();
        expectKey = false;
        break;
      case ',':
        expectKey = stack[stack.length - 1] === '{';
        break;
      case ':':
        expectKey = false;
        break;
      default:
        break;
    }
    i += 1;
  }
  return JSON.parse(copiedUpTo === 0 ? text : out + text.slice(copiedUpTo)) as unknown;
}

/** A JSON id (number or digit string) as its exact digit string, or undefined when it is not one. */
export function idString(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (typeof value === 'string' && /^[0-9]{1,32}$/.test(value)) return value;
  return undefined;
}
