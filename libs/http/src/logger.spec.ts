import { Logger } from '@nestjs/common';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PinoNestLogger } from './logger.js';

describe('PinoNestLogger', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = new PinoNestLogger(
    pino(
      { level: 'trace', base: null, timestamp: false },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    ),
  );
  Logger.overrideLogger(logger);
  afterEach(() => {
    lines.length = 0;
  });

  it('keeps the message, the fields and the context of a Nest Logger apart', () => {
    const nest = new Logger('RefundService');
    nest.warn({ order: 'o1' }, 'refund attempt failed');
    nest.log('started');
    nest.error({ event: 'e1' }, 'payment event failed to apply');
    expect(lines).toEqual([
      { level: 40, context: 'RefundService', order: 'o1', msg: 'refund attempt failed' },
      { level: 30, context: 'RefundService', msg: 'started' },
      { level: 50, context: 'RefundService', event: 'e1', msg: 'payment event failed to apply' },
    ]);
  });

  it('logs an error with its stack trace, and an object without a message', () => {
    const error = new Error('boom');
    logger.error(error, 'Error: boom\n    at somewhere', 'ExceptionsHandler');
    logger.warn({ waitingMs: 5 }, 'Sequencer');
    expect(lines[0]).toMatchObject({
      level: 50,
      context: 'ExceptionsHandler',
      trace: 'Error: boom\n    at somewhere',
      msg: 'boom',
      err: { message: 'boom' },
    });
    expect(lines[1]).toEqual({ level: 40, context: 'Sequencer', waitingMs: 5 });
  });
});
