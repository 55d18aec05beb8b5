import { LoggerService } from '@nestjs/common';
import type { Logger as Pino } from 'pino';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's logger on pino, with the fields nestjs-pino wrote: `context` (the Nest logger's name), `err` for errors,
 * an object message merged into the line.
 */
export class BrainLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const line: Record<string, unknown> = {};
    // Nest passes the context (the logger's name) last.
    if (params.length > 0) line.context = params[params.length - 1];
    const rest = params.slice(0, -1);
    if (message instanceof Error) line.err = message;
    else if (typeof message === 'object' && message !== null) Object.assign(line, message);
    else if (
      level === 'error' &&
      rest.length === 1 &&
      typeof rest[0] === 'string' &&
      /\n\s*at /.test(rest[0])
    ) {
      // Nest's exception handlers call error(message, stack, context).
      const err = new Error(String(message));
      err.stack = rest[0];
      this.pino.error({ ...line, err });
      return;
    } else {
      this.pino[level](line, String(message), ...rest);
      return;
    }
    this.pino[level](line, ...(rest as [string?]));
  }
}
