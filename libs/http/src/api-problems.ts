import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_BASE } from './problem.js';

/** RFC 9457 problem details as OpenAPI documents them; every error answer has this shape. */
export class ProblemDetailsDto {
  @ApiProperty({
    example: `${PROBLEM_BASE}not-found`,
    description: `${PROBLEM_BASE}<code>: the code after the base is stable; switch on it`,
  })
  type!: string;
  @ApiProperty({ example: 'Not found' }) title!: string;
  @ApiProperty({ example: 404 }) status!: number;
  @ApiPropertyOptional({ description: 'What happened and what to do next' }) detail?: string;
  @ApiPropertyOptional({ description: 'The request path' }) instance?: string;
  @ApiPropertyOptional({ description: 'Quote it when reporting a problem; also in x-request-id' })
  requestId?: string;
  @ApiPropertyOptional({
    description:
      'What was wrong, one item per problem: a message per invalid field (validation-failed), or ' +
      'an object naming the item and field (e.g. invalid-metadata, media-not-yours)',
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }] },
  })
  errors?: unknown[];
}

/** The OpenAPI response object of a problem answer listing its stable codes. */
export function problemResponse(status: number, codes: readonly string[]) {
  return {
    description: `${STATUS_CODES[status] ?? 'Error'}: ${codes.map((code) => `\`${code}\``).join(', ')}`,
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } },
  };
}

/**
 * Documents the problems a route answers beyond the ones every route shares (validation,
 * authentication, roles, content type), by status and stable code:
 * `@ApiProblems({ 404: ['not-found'], 409: ['sold-out'] })`.
 */
export function ApiProblems(codesByStatus: Record<number, readonly string[]>) {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...Object.entries(codesByStatus).map(([status, codes]) =>
      ApiResponse({ status: Number(status), ...problemResponse(Number(status), codes) }),
    ),
  );
}
