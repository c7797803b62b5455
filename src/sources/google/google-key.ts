import { safeEqual } from '../../shared/safe-equal';
import { presentedGoogleKey } from './google-lead';

/**
 * Whether the body's `google_key` (any capitalisation of the name) is one of the configured keys.
 * Every configured key is compared, in constant time, so timing tells nothing about which nearly
 * matched. No configured key, or an empty one presented (Google sends "" when none was typed),
 * never passes: the endpoint fails closed.
 */
export function checkGoogleKey(body: object, keys: readonly string[]): boolean {
  const presented = presentedGoogleKey(body);
  if (presented === undefined || presented === '') return false;
  let found = false;
  for (const key of keys) {
    if (key !== '' && safeEqual(presented, key)) found = true;
  }
  return found;
}
