import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

/**
 * Data flows one way (HTTP intake → lead → queue → worker → CRM client); these rules keep the folders
 * honest about it. The simulators live in their own workspace package (packages/simulators): production
 * code reaches them only through the CLI's loader, and they share no code with the clients they test.
 */
const SRC = join(__dirname, '../../src');
const SIMULATORS = join(__dirname, '../../packages/simulators/src');
const SIMULATOR_LOADER = 'cli/load-simulators.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Top-level folder under src/ of every relative import of `file`. */
function importedAreas(file: string): Set<string> {
  const areas = new Set<string>();
  for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
    const target = relative(SRC, resolve(dirname(file), match[1]!));
    if (!target.startsWith('..')) areas.add(target.split('/')[0]!.replace(/\.ts$/, ''));
  }
  return areas;
}

const FORBIDDEN: Record<string, string[]> = {
  lead: ['sources', 'crm', 'queue', 'worker', 'http', 'runtime', 'cli', 'config', 'shared'],
  shared: ['lead', 'sources', 'crm', 'queue', 'worker', 'http', 'runtime', 'cli', 'config'],
  crm: ['sources', 'queue', 'worker', 'http', 'runtime', 'cli'],
  sources: ['crm', 'queue', 'worker', 'http', 'runtime', 'cli'],
  queue: ['worker', 'http', 'runtime', 'cli', 'crm'],
  worker: ['http', 'runtime', 'cli'],
  http: ['worker', 'runtime', 'cli', 'crm'],
  config: ['crm', 'queue', 'worker', 'http', 'runtime', 'cli'],
  runtime: ['cli'],
};

/** Every relative import of `file`, resolved to a file under src/. */
function importedFiles(file: string): string[] {
  const out: string[] = [];
  for (const match of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*?from '(\.[^']+)'/gms)) {
    const target = resolve(dirname(file), match[1]!);
    for (const candidate of [`${target}.ts`, join(target, 'index.ts')]) {
      try {
        if (statSync(candidate).isFile()) {
          out.push(candidate);
          break;
        }
      } catch {
        /* not this one */
      }
    }
  }
  return out;
}

/** Every module specifier of `file`: import/export … from, side-effect import, import(), require(). */
function specifiers(file: string): string[] {
  const pattern = /(?:\bfrom\s+|^\s*import\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)['"`]([^'"`]+)['"`]/gm;
  return [...readFileSync(file, 'utf8').matchAll(pattern)].map((m) => m[1]!);
}

/** Import cycles among runtime (non-type) imports, as madge --circular reports them. */
function cycles(all: string[]): string[][] {
  const graph = new Map(all.map((f) => [f, importedFiles(f)]));
  const found: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'visiting');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'visiting') found.push(stack.slice(stack.indexOf(next)).map((f) => relative(SRC, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of all) if (!state.has(file)) visit(file);
  return found;
}

describe('architecture', () => {
  const all = files(SRC);

  it('has no import cycles', () => {
    expect(cycles(all)).toEqual([]);
  });

  it.each(Object.entries(FORBIDDEN))('%s/ imports only what sits upstream of it', (area, forbidden) => {
    const offenders = all
      .filter((f) => relative(SRC, f).startsWith(`${area}/`))
      .flatMap((f) => [...importedAreas(f)].filter((a) => forbidden.includes(a)).map((a) => `${relative(SRC, f)} → ${a}/`));
    expect(offenders).toEqual([]);
  });

  it('production code never imports the simulators; only the CLI loader names their package, for a dynamic import()', () => {
    const offenders = all
      .filter((f) => relative(SRC, f) !== SIMULATOR_LOADER)
      .flatMap((f) => specifiers(f).filter((s) => s.includes('@leadgate/simulators') || s.includes('packages/') || /(^|\/)sim\//.test(s)).map((s) => `${relative(SRC, f)} → ${s}`));
    expect(offenders).toEqual([]);
    expect(specifiers(join(SRC, SIMULATOR_LOADER))).toEqual([]);
  });

  it('the simulators import nothing from leadgate, not even types (a shared bug would hide itself)', () => {
    const declared = Object.keys((JSON.parse(readFileSync(join(SIMULATORS, '../package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {});
    const outside = (f: string, s: string): boolean => (s.startsWith('.') ? relative(SIMULATORS, resolve(dirname(f), s)).startsWith('..') : !s.startsWith('node:') && !declared.includes(s));
    const offenders = files(SIMULATORS).flatMap((f) =>
      specifiers(f)
        .filter((s) => outside(f, s))
        .map((s) => `${relative(SIMULATORS, f)} → ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
