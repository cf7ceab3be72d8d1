import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

/** One structured JSON logger for Fastify's request logs and Nest's own messages. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'heirloom' },
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  });
}

/** Adapts pino to Nest's LoggerService; object messages become structured fields. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.write('info', message, { context });
  }
  error(message: unknown, trace?: string, context?: string) {
    this.write('error', message, { context, trace });
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, { context });
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, { context });
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, { context });
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, fields: object) {
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
