import { newTestEnvironment, TestEnvironment } from '../../test/support/test-environment';

/**
 * A scenario's own Redis prefix and database (test/support's isolation), with production's settings where the test
 * defaults differ: the archiver polls every 200 ms (BRAIN_ARCHIVE_INTERVAL_MS default), not every 50 ms, and runs in
 * its own thread (BRAIN_ARCHIVER default) in an app built in the bench's process too.
 */
export function benchEnvironment(name: string, overrides: Record<string, string> = {}): TestEnvironment {
  return newTestEnvironment(name, {
    BRAIN_ARCHIVE_INTERVAL_MS: '200',
    BRAIN_ARCHIVER: 'thread',
    ...overrides,
  });
}
