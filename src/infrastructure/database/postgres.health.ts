import { Injectable } from '@nestjs/common';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';

/** Readiness of Postgres: the default connection answers `SELECT 1` in time. */
@Injectable()
export class PostgresHealthIndicator {
  constructor(private readonly typeorm: TypeOrmHealthIndicator) {}

  check<Key extends string>(key: Key, timeoutMs: number) {
    return this.typeorm.pingCheck(key, { timeout: timeoutMs });
  }
}
