import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, sendProblem } from '#http';
import {
  PaymentNotFoundError,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  PaymentRequestInvalidError,
} from '#payments';
import { bounded } from './checkout-errors.js';

/**
 * Turns payment-port failures into problems: retry later (503), bad request (400) or unknown payment
 * (404). A provider's message may quote client input, so only a short prefix of it is passed on.
 */
@Catch(PaymentProviderError)
export class PaymentErrorFilter implements ExceptionFilter {
  catch(error: PaymentProviderError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), toDomainError(error));
  }
}

function toDomainError(error: PaymentProviderError): DomainError {
  if (error instanceof PaymentProviderUnavailableError) {
    return new DomainError(
      'payment-provider-unavailable',
      503,
      'Service unavailable',
      // Checkout and payment answer their own 503 (with the held order's id); this is any other call.
      'The card processor could not be reached; try again in a moment',
    );
  }
  if (error instanceof PaymentRequestInvalidError) {
    return new DomainError('payment-request-invalid', 400, 'Bad request', bounded(error.message));
  }
  if (error instanceof PaymentNotFoundError)
    return new DomainError('not-found', 404, 'Not found', 'Payment was not found');
  return new DomainError('invalid-webhook', 400, 'Bad request', bounded(error.message));
}
