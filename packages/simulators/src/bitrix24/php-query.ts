/**
 * PHP request-variable semantics (parse_str, (bool) casts), because Bitrix24 is PHP and
 * clients send `fields[PHONE][0][VALUE]=…` bodies and `batch` commands in that syntax.
 */

export type PhpValue = string | number | boolean | null | PhpValue[] | PhpArray;
export interface PhpArray {
  [key: string]: PhpValue;
}

/** PHP's max_input_nesting_level: deeper variables are dropped entirely. */
const MAX_NESTING = 64;

export function isPhpArray(v: unknown): v is PhpArray | PhpValue[] {
  return typeof v === 'object' && v !== null;
}

/** Values of a PHP array whether it arrived as a JSON list or as a bracket-built map. */
export function phpList(v: unknown): PhpValue[] | null {
  if (Array.isArray(v)) return v as PhpValue[];
  if (isPhpArray(v)) return Object.values(v);
  return null;
}

/** PHP `(bool)`: "0", "", 0, null, [] are false; "false" is true. */
export function phpTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '' && v !== '0';
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** PHP `intval` for the shapes that matter here ("12abc" → 12, "abc" → 0). */
export function phpIntval(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = parseInt(v, 10);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

/** urldecode(): `+` is a space and malformed escapes are kept literally instead of throwing. */
export function phpUrlDecode(s: string): string {
  const spaced = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return decodeBytewise(spaced);
  }
}

function decodeBytewise(s: string): string {
  const parts: Buffer[] = [];
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      parts.push(Buffer.from(s.slice(last, i), 'utf8'), Buffer.from([parseInt(s.slice(i + 1, i + 3), 16)]));
      i += 2;
      last = i + 1;
    }
  }
  parts.push(Buffer.from(s.slice(last), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

/** parse_str() of a query string or form-urlencoded body. */
export function parsePhpQuery(query: string): PhpArray {
  const pairs: Array<[string, string]> = [];
  for (const chunk of query.split('&')) {
    if (chunk === '') continue;
    const eq = chunk.indexOf('=');
    const name = eq === -1 ? chunk : chunk.slice(0, eq);
    const value = eq === -1 ? '' : chunk.slice(eq + 1);
    pairs.push([phpUrlDecode(name), phpUrlDecode(value)]);
  }
  return parsePhpPairs(pairs);
}

/** Builds nested arrays from already-decoded (name, value) pairs, e.g. multipart fields. */
export function parsePhpPairs(pairs: Iterable<readonly [string, string]>): PhpArray {
  const root = newPhpArray();
  for (const [name, value] of pairs) assignVariable(root, name, value);
  return toListShapes(root) as PhpArray;
}

export function newPhpArray(): PhpArray {
  // Null prototype: a client-sent `__proto__[x]` must be data, not a prototype write.
  return Object.create(null) as PhpArray;
}

function assignVariable(root: PhpArray, rawName: string, value: string): void {
  const name = rawName.replace(/^ +/, '');
  const open = name.indexOf('[');
  let base: string;
  let rest = '';
  if (open === -1) {
    base = name.replace(/[ .]/g, '_');
  } else if (name.indexOf(']', open) === -1) {
    // PHP turns an unterminated `[` into `_` and keeps the rest as part of a plain name.
    base = name.slice(0, open).replace(/[ .]/g, '_') + '_' + name.slice(open + 1);
  } else {
    base = name.slice(0, open).replace(/[ .]/g, '_');
    rest = name.slice(open);
  }
  if (base === '') return;

  const indices: Array<string | null> = [];
  let i = 0;
  while (i < rest.length && rest[i] === '[') {
    const close = rest.indexOf(']', i + 1);
    if (close === -1) break;
    indices.push(close === i + 1 ? null : rest.slice(i + 1, close));
    i = close + 1;
  }
  if (indices.length >= MAX_NESTING) return;

  let target = root;
  let key = base;
  for (const index of indices) {
    let child = Object.hasOwn(target, key) ? target[key] : undefined;
    if (!isPlainPhpArray(child)) {
      child = newPhpArray();
      target[key] = child;
    }
    key = index === null ? String(nextIndex(child)) : index;
    target = child;
  }
  target[key] = value;
}

function isPlainPhpArray(v: PhpValue | undefined): v is PhpArray {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CANONICAL_INT = /^(0|-?[1-9]\d{0,15})$/;

function nextIndex(arr: PhpArray): number {
  let max = -1;
  for (const k of Object.keys(arr)) {
    if (CANONICAL_INT.test(k)) max = Math.max(max, Number(k));
  }
  return max + 1;
}

/** json_encode() rendering of a PHP array: keys exactly 0..n-1 become a list, anything else a map. */
export function toListShapes(v: PhpValue): PhpValue {
  if (!isPhpArray(v)) return v;
  if (Array.isArray(v)) return v.map(toListShapes);
  const keys = Object.keys(v);
  const isList = keys.every((k, idx) => k === String(idx));
  if (isList && keys.length > 0) return keys.map((k) => toListShapes(v[k] as PhpValue));
  for (const k of keys) v[k] = toListShapes(v[k] as PhpValue);
  return v;
}
