import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

/**
 * Data flows one way (HTTP intake → lead → queue → worker → CRM client); these rules keep the folders
 * honest about it, and keep the simulators from sharing code with the clients they test.
 */
const SRC = join(__dirname, '../../src');

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
  lead: ['sources', 'crm', 'queue', 'worker', 'http', 'runtime', 'cli', 'sim', 'config', 'shared'],
  shared: ['lead', 'sources', 'crm', 'queue', 'worker', 'http', 'runtime', 'cli', 'sim', 'config'],
  crm: ['sources', 'queue', 'worker', 'http', 'runtime', 'cli', 'sim'],
  sources: ['crm', 'queue', 'worker', 'http', 'runtime', 'cli', 'sim'],
  queue: ['worker', 'http', 'runtime', 'cli', 'sim', 'crm'],
  worker: ['http', 'runtime', 'cli', 'sim'],
  http: ['worker', 'runtime', 'cli', 'sim', 'crm'],
  config: ['crm', 'queue', 'worker', 'http', 'runtime', 'cli', 'sim'],
  runtime: ['cli', 'sim'],
  sim: ['crm', 'queue', 'worker', 'http', 'runtime', 'cli', 'config'],
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

  it('the simulators borrow only types from leadgate, never code (a shared bug would hide itself)', () => {
    const offenders = all
      .filter((f) => relative(SRC, f).startsWith('sim/'))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^import (?!type )[^;]*from '([^']*\/sources\/[^']*)'/gm)].map((m) => `${relative(SRC, f)} → ${m[1]}`));
    expect(offenders).toEqual([]);
  });
});
