export { createLogger, PinoNestLogger } from './logger.js';
export { DomainError, PROBLEM_BASE, problems, type ProblemDetails } from './problem.js';
export { ProblemFilter, sendProblem, toProblem } from './problem.filter.js';
export { strictValidationPipe } from './validation.js';
