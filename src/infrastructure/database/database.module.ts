import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { brainConfig, BrainConfigType } from '../../config/brain.config';
import { dataSourceOptions } from './data-source-options';
import { ensureDatabase } from './ensure-database';
import { PostgresHealthIndicator } from './postgres.health';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [brainConfig.KEY],
      useFactory: async (config: BrainConfigType) => {
        await ensureDatabase(config.database.url);
        return {
          ...dataSourceOptions(
            config.database.url,
            config.database.connections,
            config.database.applicationName,
          ),
          autoLoadEntities: true,
          migrationsRun: true,
          migrationsTransactionMode: 'each' as const,
          retryAttempts: 5,
          retryDelay: 2000,
        };
      },
    }),
    TerminusModule,
  ],
  providers: [PostgresHealthIndicator],
  exports: [PostgresHealthIndicator],
})
export class DatabaseModule {}
