import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { useSession } from '../auth';
import { ProblemNote } from '../components/Problem';

/** Where to go after signing in: the page that asked (same origin paths only), else home. */
function useNext() {
  const [params] = useSearchParams();
  const next = params.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignIn() {
  return <AuthForm mode="signIn" />;
}

export function SignUp() {
  return <AuthForm mode="signUp" />;
}

function AuthForm({ mode }: { mode: 'signIn' | 'signUp' }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const next = useNext();
  const { signedIn } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [handle, setHandle] = useState('');
  const submit = useMutation({
    mutationFn: async () => {
      if (mode === 'signUp') await unwrap(api.POST('/auth/sign-up', { body: { email, password, handle } }));
      const opened = await unwrap(api.POST('/auth/sign-in', { body: { email, password } }));
      await signedIn(opened.token);
      await navigate(next);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit.mutate();
  };
  const title = mode === 'signIn' ? t('auth.signIn') : t('auth.signUp');
  return (
    <form className="auth" onSubmit={onSubmit}>
      <h1>{title}</h1>
      <label>
        {t('auth.email')}
        <input
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      {mode === 'signUp' && (
        <label>
          {t('auth.handle')}
          <input
            autoComplete="nickname"
            required
            value={handle}
            onChange={(e) => setHandle(e.target.value)}
          />
        </label>
      )}
      <label>
        {t('auth.password')}
        <input
          type="password"
          autoComplete={mode === 'signIn' ? 'current-password' : 'new-password'}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      {submit.isError && <ProblemNote error={submit.error} />}
      <button type="submit" disabled={submit.isPending}>
        {title}
      </button>
      <p>
        {mode === 'signIn' ? (
          <>
            {t('auth.noAccount')}{' '}
            <Link to={`/signup?next=${encodeURIComponent(next)}`}>{t('auth.signUp')}</Link>
          </>
        ) : (
          <>
            {t('auth.haveAccount')}{' '}
            <Link to={`/login?next=${encodeURIComponent(next)}`}>{t('auth.signIn')}</Link>
          </>
        )}
      </p>
    </form>
  );
}
