/**
 * `npm test`: unit specs beside the code, integration and e2e specs in test/ against real Redis and Postgres.
 * Suites isolate themselves (own Redis key prefix, own database), so they run in parallel.
 */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json' }];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The client's source, as `import { BrainClient } from '@brain/client'` (tsconfig.json's paths say the same).
  moduleNameMapper: { '^@brain/client$': '<rootDir>/client/src/index.ts' },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testRegex: '.*\\.spec\\.ts$' },
    { ...common, displayName: 'client', rootDir: 'client/src', testRegex: '.*\\.spec\\.ts$' },
    {
      ...common,
      displayName: 'integration',
      rootDir: '.',
      testRegex: 'test/(integration|e2e)/.*\\.spec\\.ts$',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    {
      ...common,
      displayName: 'cluster',
      rootDir: '.',
      testRegex: 'test/cluster/.*\\.spec\\.ts$',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
  maxWorkers: 2,
  testTimeout: 60000,
};
