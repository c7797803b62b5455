/**
 * `user.get` (scope `user`): the portal's users, filtered by `FILTER` or by filter keys given
 * directly (`{"ID": 1}`, as in the REST help's example), 50 per page with `next`/`total`.
 * Inactive (dismissed) users are listed too, with `ACTIVE: false`, unless the filter asks for ACTIVE.
 */
import { PAGE_SIZE } from './lead-query';
import { readParam, type MethodContext, type MethodOutcome } from './method-types';
import { isPhpArray, phpIntval, phpList, type PhpArray, type PhpValue } from './php-query';
import type { StoredUser } from './portal-setup';

const PAGING_KEYS = new Set(['sort', 'order', 'start', 'admin_mode', 'filter', 'auth', 'access_token']);

function filterOf(params: PhpArray): Record<string, PhpValue> {
  const given = readParam(params, 'filter');
  if (isPhpArray(given) && !Array.isArray(given)) return given;
  return Object.fromEntries(Object.entries(params).filter(([k]) => !PAGING_KEYS.has(k.toLowerCase())));
}

function matchesUser(user: StoredUser, key: string, wanted: PhpValue): boolean {
  const field = key.toUpperCase();
  if (field === 'ID') {
    const ids = (phpList(wanted) ?? [wanted]).map(phpIntval);
    return ids.includes(Number(user.ID));
  }
  if (field === 'ACTIVE') {
    const active = wanted === true || wanted === 'Y' || wanted === 'true' || wanted === '1' || wanted === 1;
    return user.ACTIVE === active;
  }
  const value = (user as unknown as Record<string, unknown>)[field];
  // A filter key the simulator does not know matches nothing rather than everything.
  return typeof value === 'string' && value.toLowerCase() === String(wanted ?? '').toLowerCase();
}

export function userGet(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const filter = Object.entries(filterOf(params));
  const matched = ctx.portal.users().filter((u) => filter.every(([k, v]) => matchesUser(u, k, v)));
  const start = Math.max(0, phpIntval(params.start));
  const page = matched.slice(start, start + PAGE_SIZE);
  return start + PAGE_SIZE < matched.length ? { result: page, next: start + PAGE_SIZE, total: matched.length } : { result: page, total: matched.length };
}
