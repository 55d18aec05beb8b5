import { Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../../src/app.module';
import { brainConfig, BrainConfig } from '../../src/config/brain.config';
import { configureHttpApp, createHttpAdapter } from '../../src/http-app';

/**
 * The real app (all modules, real Redis and Postgres) on a random port, configured exactly as main.ts does,
 * with the suite's own configuration. Several can run in one process: that is two replicas.
 */
export async function startTestApp(
  config: BrainConfig,
  extraModules: Type[] = [],
): Promise<{ app: NestFastifyApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule, ...extraModules] })
    .overrideProvider(brainConfig.KEY)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
    logger: false,
  });
  configureHttpApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}
