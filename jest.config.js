/** Tests are specifications of behaviour against a real Redis and real HTTP servers. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
  // Integration files share one machine (2 cores) and one Redis; two at a time keeps timing-sensitive fault tests honest.
  maxWorkers: 2,
};
