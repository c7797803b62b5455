/** Tests are specifications of behaviour against a real Redis and real HTTP servers. */
module.exports = {
  testEnvironment: 'node',
  // The simulators' own specs live with their workspace package and run here too.
  roots: ['<rootDir>/test', '<rootDir>/packages/simulators/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
  // Integration files share one machine (2 cores) and one Redis; two at a time keeps timing-sensitive fault tests honest.
  maxWorkers: 2,
};
