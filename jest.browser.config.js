/**
 * `npm run test:browser`: the dashboard in a real browser (playwright-core driving Debian's chromium) against the
 * real app as a child process, with real Redis and Postgres. Needs the build (npm run build) for the page.
 */
module.exports = {
  displayName: 'browser',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: '.',
  testRegex: 'test/browser/.*\\.spec\\.ts$',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  maxWorkers: 1,
  testTimeout: 120000,
};
