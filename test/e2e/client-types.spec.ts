import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_TYPES_FILE } from '../../scripts/client-types';
import { startBrain, TestBrain } from './brain-client';

/**
 * The client's committed types (client/src/generated/openapi.ts) are the running app's /docs-json through
 * openapi-typescript. Regenerated in a child process: openapi-typescript is ESM only, which Jest's CommonJS runtime
 * does not load.
 */
describe('@brain/client types (e2e)', () => {
  let brain: TestBrain;

  beforeAll(async () => {
    brain = await startBrain('clienttypes');
  });

  afterAll(() => brain?.close());

  it('match the OpenAPI document the app serves: run `npm run client:types` after changing a route', async () => {
    const document = await (await fetch(`${brain.client.url}/docs-json`)).text();
    const generated = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'scripts/client-types.ts', '--stdin', '--stdout'],
      { cwd: join(__dirname, '..', '..'), input: document, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    expect(generated.stderr).not.toMatch(/Error/);
    expect(generated.status).toBe(0);
    expect(generated.stdout.length).toBeGreaterThan(1000);
    expect(generated.stdout === readFileSync(CLIENT_TYPES_FILE, 'utf8')).toBe(true);
  });
});
