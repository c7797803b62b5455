/**
 * The import graph of src/, checked in `npm test` (see README "Layout"). Data flows one way:
 * http → sources → lead, http → queue, worker → queue, clients, sources, lead; config, lead and
 * shared are leaves. Simulators are a workspace package that production code never imports.
 */
const layer = (name, allowed) => ({
  name: `${name}-imports-only-downstream`,
  comment: `${name}/ may import only ${allowed.join(', ') || 'nothing else in src/'} (and itself)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...allowed.map((a) => `^src/${a}/`)] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles hide which module owns a rule.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    layer('shared', []),
    layer('lead', []),
    layer('config', ['lead']),
    layer('sources', ['lead', 'config', 'shared']),
    layer('clients', ['lead', 'config', 'shared', 'sources']),
    layer('queue', ['lead', 'config', 'shared']),
    layer('http', ['sources', 'lead', 'queue', 'config', 'shared']),
    layer('worker', ['clients', 'queue', 'sources', 'lead', 'config', 'shared']),
    layer('runtime', ['http', 'worker', 'clients', 'queue', 'sources', 'lead', 'config', 'shared']),
    {
      name: 'cli-is-the-top',
      comment: 'The CLI wires everything; nothing below it may reach back up.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', '^src/cli\\.ts$'] },
      to: { path: ['^src/cli/', '^src/cli\\.ts$'] },
    },
    {
      name: 'simulators-share-no-code-with-leadgate',
      comment: 'A bug shared by a client and the simulator that tests it would hide itself: not even types.',
      severity: 'error',
      from: { path: '^packages/simulators/' },
      to: { path: '^src/' },
    },
    {
      name: 'snippet-is-standalone',
      comment: 'The browser snippet runs on other sites with no dependencies: it imports only its own files (snippet/src), nothing from src/ or npm.',
      severity: 'error',
      from: { path: '^snippet/src/' },
      to: { pathNot: '^snippet/src/' },
    },
    {
      name: 'no-undeclared-dependencies',
      comment: 'Every package imported is listed in the package.json that owns the importing file.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-simulators-in-production',
      comment: 'The simulators ship apart from the product: only the dev/sim commands load them, lazily.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/load-simulators\\.ts$' },
      to: { path: '(^packages/simulators/|@leadgate/simulators)' },
    },
    {
      name: 'no-dev-dependencies-in-production',
      comment: 'The production image installs no devDependencies.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/load-simulators\\.ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
