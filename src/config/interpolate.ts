/**
 * `${VAR}` and `${VAR:-default}` in string values of the parsed YAML, so secrets stay in the
 * environment. Interpolating after parsing (not in the raw text) means a value can never break
 * the YAML structure. `$${` escapes a literal `${`.
 */
export class MissingVariableError extends Error {
  constructor(readonly variable: string, readonly path: string) {
    super(`${path}: environment variable ${variable} is not set and has no default`);
    this.name = 'MissingVariableError';
  }
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolateString(value: string, env: NodeJS.ProcessEnv, path: string): string {
  return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const found = env[name as string];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    throw new MissingVariableError(name as string, path);
  });
}

export function interpolate(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path || '/');
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, `${path}/${i}`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolate(item, env, `${path}/${key}`);
    return out;
  }
  return value;
}
