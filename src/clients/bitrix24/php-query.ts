/**
 * PHP bracket encoding (`fields[PHONE][0][VALUE]=…`), the only way to pass nested parameters inside a
 * `batch` command string. Values are percent-encoded, so `&` in a name cannot split a parameter.
 */
export function toPhpQuery(value: unknown, prefix = ''): string {
  const parts: string[] = [];
  const walk = (item: unknown, key: string): void => {
    if (item === undefined || item === null) return;
    if (Array.isArray(item)) {
      item.forEach((child, i) => walk(child, `${key}[${i}]`));
      return;
    }
    if (typeof item === 'object') {
      for (const [childKey, child] of Object.entries(item)) walk(child, key ? `${key}[${childKey}]` : childKey);
      return;
    }
    parts.push(`${encodeKey(key)}=${encodeURIComponent(String(item))}`);
  };
  walk(value, prefix);
  return parts.join('&');
}

function encodeKey(key: string): string {
  // Brackets stay readable; everything else in a key is encoded like a value.
  return encodeURIComponent(key).replace(/%5B/gi, '[').replace(/%5D/gi, ']');
}
