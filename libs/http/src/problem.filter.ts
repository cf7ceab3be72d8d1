import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, PROBLEM_BASE, ProblemDetails } from './problem.js';

/** Status codes from Nest/Fastify errors mapped to stable problem codes. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  409: 'conflict',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'rate-limited',
  431: 'headers-too-large',
};

/** Converts any thrown value into an RFC 9457 problem; unknown errors become a bare 500. */
export function toProblem(error: unknown, requestId: string, instance?: string): ProblemDetails {
  if (error instanceof DomainError) {
    return {
      ...error.extensions,
      type: PROBLEM_BASE + error.code,
      title: error.title,
      status: error.status,
      detail: error.message,
      instance,
      requestId,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse() as { message?: unknown; error?: string } | string;
    const messages =
      typeof response === 'object' && Array.isArray(response.message) ? response.message : undefined;
    const isValidation = status === 400 && messages !== undefined;
    return {
      type: PROBLEM_BASE + (isValidation ? 'validation-failed' : (CODE_BY_STATUS[status] ?? 'http-error')),
      title: isValidation ? 'Validation failed' : (STATUS_CODES[status] ?? 'Error'),
      status,
      detail: isValidation ? 'The request body or parameters are invalid' : error.message,
      errors: messages,
      instance,
      requestId,
    };
  }
  // Fastify's own errors (body parsing, content type, size) carry a statusCode below 500.
  const fastifyError = error as { statusCode?: number; code?: string; message?: string } | null;
  const status = fastifyError?.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      type: PROBLEM_BASE + (CODE_BY_STATUS[status] ?? 'bad-request'),
      title: STATUS_CODES[status] ?? 'Client error',
      status,
      detail: fastifyError?.message,
      instance,
      requestId,
    };
  }
  return {
    type: PROBLEM_BASE + 'internal',
    title: 'Internal server error',
    status: 500,
    detail: 'Something went wrong on our side; quote the request id when reporting it',
    instance,
    requestId,
  };
}

/** Longer request targets are left out of a problem rather than echoed back. */
const MAX_INSTANCE_LENGTH = 2048;

/** Sends a problem as `application/problem+json`, logging server-side failures. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: unknown): void {
  const instance = request.url.length <= MAX_INSTANCE_LENGTH ? request.url : undefined;
  const problem = toProblem(error, String(request.id), instance);
  if (problem.status >= 500) request.log.error({ err: error }, 'unhandled error');
  if (problem.status === 429 && typeof problem.retryAfter === 'number') {
    void reply.header('retry-after', String(problem.retryAfter));
  }
  void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
}

/**
 * Turns an error from below the HTTP layer into the problem it stands for (e.g. a lost database
 * connection into a 503), or returns it unchanged.
 */
export type ErrorTranslator = (error: unknown) => unknown;

/** The one exception filter of the app; `translate` runs first on every error. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  constructor(private readonly translate: ErrorTranslator = (error) => error) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (!reply?.status) {
      this.logger.error(error);
      return;
    }
    sendProblem(reply, request, this.translate(error));
  }
}
