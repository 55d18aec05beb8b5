import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppProcess } from '../support/app-process';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';

const ROOT = resolve(__dirname, '../..');

// npm's own range semantics: semver (no types shipped) is in the tree through Fastify, Nest's CLI and Jest.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { minVersion, satisfies } = require('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

/** Issue 11: what a fresh start (and a first `docker compose up`) must refuse, and must not print. */
describe('hardening: start-up (e2e)', () => {
  jest.setTimeout(90000);

  describe('refuses to start, with one clear line and exit code 1', () => {
    it.each([
      [
        'BRAIN_AUTH=off in production',
        { NODE_ENV: 'production', BRAIN_AUTH: 'off', BRAIN_ADMIN_TOKEN: 'x7Kp2mQ9vR4tZ8wL' },
        /Invalid environment: BRAIN_AUTH="off" \(not allowed in production\)/,
      ],
      [
        'the old docker-compose default admin token',
        { NODE_ENV: 'production', BRAIN_ADMIN_TOKEN: 'change-me-to-a-long-random-secret' },
        /Invalid environment: BRAIN_ADMIN_TOKEN \(.*easy to guess/,
      ],
      [
        'a guessable admin token outside production too',
        { NODE_ENV: 'development', BRAIN_ADMIN_TOKEN: 'adminadminadmin123' },
        /Invalid environment: BRAIN_ADMIN_TOKEN \(.*easy to guess/,
      ],
    ])('%s', async (_what, env: Record<string, string>, message) => {
      const app = AppProcess.spawn({ env });
      // An app that starts anyway is killed (exit code null), so the test fails without hanging.
      const killer = setTimeout(() => void app.kill(), 40000);
      const exit = await app.exited.finally(() => clearTimeout(killer));
      expect(exit.code).toBe(1);
      expect(app.output).toMatch(message);
      expect(app.output).not.toMatch(/^\s+at /m);
      if (env.BRAIN_ADMIN_TOKEN) expect(app.output).not.toContain(env.BRAIN_ADMIN_TOKEN);
    });
  });

  describe('a normal start', () => {
    let environment: TestEnvironment;
    let app: AppProcess | undefined;

    beforeAll(() => {
      environment = newTestEnvironment('hstart');
    });

    afterAll(async () => {
      await app?.kill();
      await environment?.dispose();
    });

    it('prints no Fastify deprecation warning (FSTWRN004)', async () => {
      app = await AppProcess.start({ env: environment.env });
      expect(app.output).toContain('Listening on');
      expect(app.output).not.toMatch(/FSTWRN|FastifyWarning/);
    });
  });

  describe('first run', () => {
    const compose = readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8');

    it('docker-compose.yml has no default admin token: compose refuses to start without one', () => {
      const line = compose.split('\n').find((l) => /^\s*BRAIN_ADMIN_TOKEN:/.test(l)) ?? '';
      expect(line).toMatch(/\$\{BRAIN_ADMIN_TOKEN:\?[^}]+\}/);
      expect(compose).not.toMatch(/BRAIN_ADMIN_TOKEN:-/);
    });

    it("docker-compose.yml publishes Brain's port on the loopback interface only", () => {
      const ports = [...compose.matchAll(/ports:\s*\[([^\]]*)\]/g)].map((m) => m[1]);
      expect(ports.length).toBeGreaterThan(0);
      for (const mapping of ports) expect(mapping).toMatch(/^\s*"127\.0\.0\.1:\d+:\d+"\s*$/);
    });

    it('installs on the Node versions package.json promises, so `npm ci` warns of no engine (EBADENGINE)', () => {
      const manifest = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
        engines: { node: string };
      };
      const oldest = minVersion(manifest.engines.node)?.version ?? manifest.engines.node;
      const lock = JSON.parse(readFileSync(resolve(ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { engines?: { node?: string } | string[] }>;
      };
      const unfit = Object.entries(lock.packages).flatMap(([path, { engines }]) => {
        const wanted = Array.isArray(engines) ? undefined : engines?.node;
        return path && wanted && !satisfies(oldest, wanted) ? [`${path} wants node ${wanted}`] : [];
      });
      expect(unfit).toEqual([]);
    });
  });
});
