import { ValidationPipe } from '@nestjs/common';

/** Strict DTO validation at the edge: unknown fields are refused, types converted. */
export function strictValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
  });
}
