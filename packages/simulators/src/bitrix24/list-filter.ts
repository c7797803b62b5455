/**
 * Bitrix `*.list` filter and order semantics over string-valued records. String comparisons
 * are case-insensitive because Bitrix evaluates them in MySQL with a *_ci collation.
 */
import { isPhpArray, phpList } from './php-query';

export type ValueKind = 'num' | 'date' | 'str' | 'multi';
type Op = 'eq' | 'in' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'pattern';

export interface Condition {
  field: string;
  op: Op;
  negate: boolean;
  kind: ValueKind;
  values: unknown[];
}

/** Longest prefixes first so `!@` is not read as `!` + `@FIELD`. */
const PREFIXES: ReadonlyArray<[string, Op, boolean]> = [
  ['!%=', 'pattern', true],
  ['!=%', 'pattern', true],
  ['!@', 'in', true],
  ['!%', 'like', true],
  ['!=', 'eq', true],
  ['>=', 'gte', false],
  ['<=', 'lte', false],
  ['=%', 'pattern', false],
  ['%=', 'pattern', false],
  ['@', 'in', false],
  ['!', 'eq', true],
  ['>', 'gt', false],
  ['<', 'lt', false],
  ['=', 'eq', false],
  ['%', 'like', false],
];

/** `kindOf` returns null for fields the entity does not have; Bitrix ignores those keys. */
export function parseFilter(filter: unknown, kindOf: (field: string) => ValueKind | null): Condition[] {
  if (!isPhpArray(filter) || Array.isArray(filter)) return [];
  const conditions: Condition[] = [];
  for (const [rawKey, value] of Object.entries(filter)) {
    const [prefix, op, negate] = PREFIXES.find(([p]) => rawKey.startsWith(p)) ?? ['', 'eq' as Op, false];
    const field = rawKey.slice(prefix.length).trim().toUpperCase();
    const kind = kindOf(field);
    if (kind === null) continue;
    const list = phpList(value);
    // A list under a plain or `=` key is an IN, under `!` a NOT IN (the `'=ID': [1,2,3]` idiom).
    const effectiveOp: Op = list !== null && op === 'eq' ? 'in' : op;
    conditions.push({ field, op: effectiveOp, negate, kind, values: list ?? [value] });
  }
  return conditions;
}

export function matches(conditions: readonly Condition[], read: (field: string) => unknown): boolean {
  for (const c of conditions) {
    const stored = read(c.field);
    const candidates = c.kind === 'multi' ? multiValues(stored) : [asText(stored)];
    const positive = evaluate(c, candidates);
    if (positive === c.negate) return false;
  }
  return true;
}

function evaluate(c: Condition, candidates: Array<string | null>): boolean {
  const kind: ValueKind = c.kind === 'multi' ? 'str' : c.kind;
  // An empty multifield behaves like a NULL column.
  const list = candidates.length === 0 ? [null] : candidates;
  if (c.op === 'in') return c.values.some((v) => list.some((s) => compareEq(s, v, kind)));
  return list.some((s) => compareOne(c.op, s, c.values[0], kind));
}

function compareOne(op: Op, stored: string | null, value: unknown, kind: ValueKind): boolean {
  switch (op) {
    case 'eq':
    case 'in':
      return compareEq(stored, value, kind);
    case 'like': {
      const needle = asText(value) ?? '';
      return stored !== null && stored.toLowerCase().includes(needle.toLowerCase());
    }
    case 'pattern':
      return stored !== null && likeToRegExp(asText(value) ?? '').test(stored);
    default: {
      if (stored === null || stored === '') return false;
      const cmp = compareOrdered(stored, asText(value) ?? '', kind);
      if (Number.isNaN(cmp)) return false;
      return op === 'gt' ? cmp > 0 : op === 'gte' ? cmp >= 0 : op === 'lt' ? cmp < 0 : cmp <= 0;
    }
  }
}

function compareEq(stored: string | null, value: unknown, kind: ValueKind): boolean {
  const wanted = asText(value);
  // Filtering by "" (or null) selects empty columns, which Bitrix treats as IS NULL OR = ''.
  if (wanted === null || wanted === '') return stored === null || stored === '';
  if (stored === null) return false;
  if (kind === 'str' || kind === 'multi') return stored.toLowerCase() === wanted.toLowerCase();
  return compareOrdered(stored, wanted, kind) === 0;
}

function compareOrdered(a: string, b: string, kind: ValueKind): number {
  if (kind === 'num') return Number(a) - Number(b);
  if (kind === 'date') return Date.parse(a) - Date.parse(b);
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'is');
}

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '';
  return null;
}

function multiValues(stored: unknown): Array<string | null> {
  const rows = phpList(stored) ?? [];
  return rows.map((row) => {
    if (isPhpArray(row) && !Array.isArray(row)) return asText(row.VALUE);
    return asText(row);
  });
}

export interface OrderKey {
  field: string;
  desc: boolean;
  kind: ValueKind;
}

export function parseOrder(order: unknown, kindOf: (field: string) => ValueKind | null): OrderKey[] {
  if (!isPhpArray(order) || Array.isArray(order)) return [];
  const keys: OrderKey[] = [];
  for (const [field, dir] of Object.entries(order)) {
    const name = field.toUpperCase();
    const kind = kindOf(name);
    if (kind === null || kind === 'multi') continue;
    keys.push({ field: name, desc: typeof dir === 'string' && dir.toUpperCase() === 'DESC', kind });
  }
  return keys;
}

/** MySQL ordering: NULLs sort first ascending. */
export function compareBy(keys: readonly OrderKey[], a: (f: string) => unknown, b: (f: string) => unknown): number {
  for (const k of keys) {
    const x = asText(a(k.field));
    const y = asText(b(k.field));
    let cmp: number;
    if (x === null || y === null) cmp = x === y ? 0 : x === null ? -1 : 1;
    else cmp = compareOrdered(x, y, k.kind) || 0;
    if (cmp !== 0) return k.desc ? -cmp : cmp;
  }
  return 0;
}
