import { ApiProblem, session } from './api/client';

/**
 * Fetches a file the API serves only to the signed-in account (bearer token, so a plain link
 * cannot carry it) and hands it to the browser: saved under `filename`, or opened when null.
 */
export async function fetchAndOpen(path: string, filename: string | null): Promise<void> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${session.token() ?? ''}` } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiProblem(response.status, problem as ApiProblem['problem']);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  if (filename) link.download = filename;
  else link.target = '_blank';
  link.rel = 'noopener';
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
