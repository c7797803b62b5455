/**
 * RFC 6901 JSON Pointer lookup over own properties only: a pointer naming `__proto__` or
 * `constructor` finds nothing, whatever Object.prototype carries. `""` is the whole document.
 */
export function resolvePointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      if (!/^(?:0|[1-9][0-9]*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (node !== null && typeof node === 'object' && Object.hasOwn(node, token)) {
      node = (node as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return node;
}

/** A pointer (starts with `/`) or a field name. */
export function isPointer(path: string): boolean {
  return path.startsWith('/');
}
