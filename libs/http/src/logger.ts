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

/**
 * Adapts pino to Nest's LoggerService; object messages become structured fields. A Nest `Logger`
 * with a context passes it last, after any other parameters: `warn({ order }, 'refund failed')`
 * arrives as `warn({ order }, 'refund failed', 'RefundService')`. A further string is the message,
 * or for `error` a stack trace when it has several lines.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, params: unknown[]) {
    const strings = params.filter((param): param is string => typeof param === 'string');
    const context = params.length > 0 && typeof params.at(-1) === 'string' ? strings.pop() : undefined;
    const text = strings[0];
    const trace = text?.includes('\n') ? text : undefined;
    const fields = { context, ...(trace ? { trace } : {}) };
    const msg = trace ? undefined : text;
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, msg ?? message.message);
    else if (typeof message === 'object' && message !== null)
      this.logger[level]({ ...fields, ...message }, msg);
    else this.logger[level](fields, String(message));
  }
}
