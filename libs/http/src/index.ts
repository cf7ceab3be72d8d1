export { ApiProblems, ProblemDetailsDto, problemResponse } from './api-problems.js';
export { BINARY_MEDIA, registerBodyParsers, type BodyParserOptions } from './body-parsers.js';
export { problemClientErrorHandler } from './client-error.js';
export { invalidCharacters, MAX_JSON_DEPTH, scanJson } from './json-body.js';
export { createLogger, PinoNestLogger } from './logger.js';
export { DomainError, PROBLEM_BASE, problems, type ProblemDetails } from './problem.js';
export { ProblemFilter, sendProblem, toProblem, type ErrorTranslator } from './problem.filter.js';
export {
  frameworkErrorProblem,
  MAX_URL_LENGTH,
  registerRequestGuards,
  requestIdFor,
} from './request-guards.js';
export { problemServerOptions } from './server-options.js';
export {
  keysetPage,
  microsSql,
  PageLimit,
  parseTimeIdCursor,
  TimeIdCursor,
  timeIdCursor,
  timeOfMicrosSql,
} from './paging.js';
export { strictValidationPipe } from './validation.js';
