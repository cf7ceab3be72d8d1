import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

/** An RFC 9457 problem the API answered with; `slug` is the last part of its `type`. */
export class ApiProblem extends Error {
  readonly slug: string;
  constructor(
    readonly status: number,
    readonly problem: Partial<Schemas['ProblemDetailsDto']> & Record<string, unknown>,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.slug = (problem.type ?? '').split('/').pop() || 'unknown';
  }
}

const SESSION_KEY = 'heirloom.session';

export const session = {
  token: (): string | null => localStorage.getItem(SESSION_KEY),
  set: (token: string | null) =>
    token === null ? localStorage.removeItem(SESSION_KEY) : localStorage.setItem(SESSION_KEY, token),
};

const bearer: Middleware = {
  onRequest({ request }) {
    const token = session.token();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
};

/** The typed API client: paths, parameters and bodies come from the API's OpenAPI document. */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(bearer);

/**
 * The data of an openapi-fetch result, or an ApiProblem thrown for TanStack Query to show. A
 * network failure surfaces as a problem too, so every error reaches the person the same way.
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: Awaited<typeof call>;
  try {
    result = await call;
  } catch {
    throw new ApiProblem(0, { type: 'network' });
  }
  if (result.error !== undefined || result.data === undefined) {
    throw new ApiProblem(result.response.status, (result.error ?? {}) as ApiProblem['problem']);
  }
  return result.data;
}

/** A fresh idempotency key per attempt of a write a person starts once. */
export const idempotencyKey = () => crypto.randomUUID();
