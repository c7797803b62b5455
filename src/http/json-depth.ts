import { HttpError } from './http-error';

/**
 * No JSON body leadgate takes is deeper than a handful of levels (a batch's lead's contact), so 32
 * is generous; anything deeper is refused before code that walks it recursively could overflow
 * the stack.
 */
export const MAX_JSON_DEPTH = 32;

export function bodyTooDeep(): HttpError {
  return new HttpError(400, 'body_too_deep', `the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`);
}

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
