/** Base of every problem `type` URI; the suffix is the stable code clients switch on. */
export const PROBLEM_BASE = 'https://heirloom.dev/problems/';

/** RFC 9457 problem details body. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: unknown[];
  [extension: string]: unknown;
}

/**
 * A failure the client can act on. Each domain throws these with a stable code; the filter
 * turns them into problem+json. Extensions become extra members of the problem body.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'DomainError';
  }
}

/** Shorthands for the common kinds of client failures. */
export const problems = {
  badRequest: (code: string, detail: string, extensions?: Record<string, unknown>) =>
    new DomainError(code, 400, 'Bad request', detail, extensions),
  unauthorized: (detail = 'Authentication required') =>
    new DomainError('unauthorized', 401, 'Unauthorized', detail),
  forbidden: (detail = 'You are not allowed to do this') =>
    new DomainError('forbidden', 403, 'Forbidden', detail),
  notFound: (what: string) => new DomainError('not-found', 404, 'Not found', `${what} was not found`),
  conflict: (code: string, detail: string, extensions?: Record<string, unknown>) =>
    new DomainError(code, 409, 'Conflict', detail, extensions),
  unprocessable: (code: string, detail: string, extensions?: Record<string, unknown>) =>
    new DomainError(code, 422, 'Unprocessable content', detail, extensions),
  unsupportedMediaType: (detail: string) =>
    new DomainError('unsupported-media-type', 415, 'Unsupported media type', detail),
  tooManyRequests: (retryAfterSeconds: number) =>
    new DomainError('rate-limited', 429, 'Too many requests', 'Slow down and retry later', {
      retryAfter: retryAfterSeconds,
    }),
};
