/**
 * The chaos suite (`npm run test:chaos`): real api/worker processes, a private Redis with AOF and the
 * Bitrix24 simulator, killed and faulted while leads flow. One scenario at a time: they are timing-heavy
 * and the machine has two cores.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/chaos'],
  testMatch: ['**/*.chaos.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 180000,
  maxWorkers: 1,
};
