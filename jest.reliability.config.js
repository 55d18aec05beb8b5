/** `npm run test:reliability`: fault-injection scenarios; they start and kill processes, so one at a time. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  rootDir: '.',
  testRegex: 'test/reliability/.*\\.spec\\.ts$',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 180000,
  maxWorkers: 1,
};
