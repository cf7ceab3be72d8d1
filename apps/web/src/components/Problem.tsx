import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client';

/** A problem+json (or any failure) as a sentence the person can act on, in their language. */
export function problemMessage(t: ReturnType<typeof useTranslation>['t'], error: unknown): string {
  if (!(error instanceof ApiProblem)) return t('problem.fallback', { detail: String(error) });
  const detail = error.problem.detail ?? error.problem.title ?? '';
  const key = `problem.${error.slug}`;
  if (error.slug === 'validation-failed') {
    const errors = (error.problem.errors as string[] | undefined)?.join('; ') ?? detail;
    return t(key, { detail: errors });
  }
  return t(key, { defaultValue: '', detail }) || t('problem.fallback', { detail });
}

export function ProblemNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div role="alert" className="problem">
      <p>{problemMessage(t, error)}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="loading" role="status" aria-live="polite">
      {t('common.loading')}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
