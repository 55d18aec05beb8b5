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
    // Nest passes the context (the logger's name) last.
    const line: Record<string, unknown> = params.length > 0 ? { context: params[params.length - 1] } : {};
    const rest = params.slice(0, -1) as string[];
    if (message instanceof Error) this.pino[level]({ ...line, err: message }, ...rest);
    else if (typeof message === 'object' && message !== null)
      this.pino[level]({ ...line, ...message }, ...rest);
    else if (level === 'error' && rest.length === 1 && /\n\s*at /.test(String(rest[0])))
      // Nest's exception handlers call error(message, stack, context).
      this.pino.error({ ...line, err: Object.assign(new Error(String(message)), { stack: rest[0] }) });
    else this.pino[level](line, String(message), ...rest);
  }
}
