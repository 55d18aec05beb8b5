import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export const DASHBOARD_PATH = '/dashboard';

/**
 * Where `vite build` puts the dashboard: dist/dashboard. Compiled, this file is dist/src/dashboard/; under ts-node it
 * is src/dashboard/, and the build is still the one in dist/.
 */
export const DASHBOARD_BUILD_DIR = __filename.endsWith('.ts')
  ? resolve(__dirname, '../../dist/dashboard')
  : resolve(__dirname, '../../dashboard');

/**
 * Serves the operators' dashboard (static files built by Vite) at /dashboard/. Called by main.ts only:
 * @fastify/static's ESM dependencies cannot be loaded by Jest, and the in-process test apps have no use for it
 * (the browser test runs the real process). Without a build, the page answers 404 and a warning says why.
 */
export async function serveDashboard(app: NestFastifyApplication, root = DASHBOARD_BUILD_DIR): Promise<void> {
  if (!existsSync(resolve(root, 'index.html'))) {
    new Logger('Dashboard').warn(
      `No dashboard build in ${root} (npm run build makes it); /dashboard answers 404`,
    );
    return;
  }
  const { default: fastifyStatic } = await import('@fastify/static');
  app
    .getHttpAdapter()
    .getInstance()
    .get(DASHBOARD_PATH, (_request, reply) => {
      void reply.redirect(`${DASHBOARD_PATH}/`, 301);
    });
  await app.register(fastifyStatic, {
    root,
    prefix: `${DASHBOARD_PATH}/`,
    index: 'index.html',
    // Vite fingerprints the assets; index.html must be revalidated so a new build is picked up at once.
    cacheControl: false,
    setHeaders: (reply, path) => {
      void reply.header(
        'cache-control',
        path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
}
