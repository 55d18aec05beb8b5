import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { BrainConfig, toBrainConfig } from './config/brain.config';
import { validateEnvironment } from './config/environment';
import { serveDashboard } from './dashboard/serve-dashboard';
import { configureHttpApp, createHttpAdapter } from './http-app';
import { runPrimary } from './workers';

async function serve(config: BrainConfig): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createHttpAdapter(config), {
    bufferLogs: true,
  });
  configureHttpApp(app);
  await serveDashboard(app);
  await app.listen(config.http.port, config.http.host);
  new Logger('Brain').log(
    `Listening on http://${config.http.host}:${config.http.port} (docs at /docs, dashboard at /dashboard)`,
  );
}

async function bootstrap(): Promise<void> {
  // Validate before Nest starts (and before any worker forks), so a bad setting stops the process with one clear line.
  const config = toBrainConfig(validateEnvironment(process.env));
  if (config.workers > 1 && cluster.isPrimary) await runPrimary(config);
  else await serve(config);
}

bootstrap().catch((error: Error) => {
  console.error(error.message.startsWith('Invalid environment') ? error.message : error.stack);
  process.exit(1);
});
