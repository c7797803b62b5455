import type { Config } from '../../config/config';
import { findOperator } from '../../shared/operator-tokens';
import { safeEqual } from '../../shared/safe-equal';

/** The console is on with the admin token or at least one named operator. */
export function consoleEnabled(config: Config): boolean {
  return Boolean(config.admin.token) || config.admin.operators.length > 0;
}

/**
 * Who a sign-in token belongs to: a named operator (admin.operators, by the SHA-256 of the token), or
 * the shared admin token (no name); undefined when neither. Both are always compared, in constant time.
 */
export function signInAs(config: Config, token: string): { operator?: string } | undefined {
  const operator = findOperator(token, config.admin.operators);
  const admin = config.admin.token ? safeEqual(token, config.admin.token) : false;
  if (operator) return { operator };
  return admin ? {} : undefined;
}
