import { Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { useAccount, useSession } from '../auth';
import { LANGUAGES, setLanguage, type Language } from '../i18n';
import { Loading } from './Problem';

export function Layout() {
  const { t, i18n } = useTranslation();
  const account = useAccount().data;
  const { signOut } = useSession();
  const navigate = useNavigate();
  return (
    <>
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header className="top">
        <Link to="/" className="brand">
          {t('brand')}
        </Link>
        <nav aria-label="main">
          <NavLink to="/browse">{t('nav.browse')}</NavLink>
          {account && <NavLink to="/my">{t('nav.collection')}</NavLink>}
          {account && <NavLink to="/my/orders">{t('nav.orders')}</NavLink>}
          {account && (
            <NavLink to={account.roles.includes('creator') ? '/studio' : '/studio/apply'}>
              {account.roles.includes('creator') ? t('nav.studio') : t('nav.becomeCreator')}
            </NavLink>
          )}
          <NavLink to="/verify">{t('nav.verify')}</NavLink>
          {account?.roles.some((role) => role === 'operator' || role === 'auditor') && (
            <NavLink to="/console">{t('nav.console')}</NavLink>
          )}
        </nav>
        <div className="account">
          <label>
            <span className="visually-hidden">{t('nav.language')}</span>
            <select
              value={i18n.language}
              onChange={(event) => void setLanguage(event.target.value as Language)}
            >
              {LANGUAGES.map((language) => (
                <option key={language.code} value={language.code}>
                  {language.label}
                </option>
              ))}
            </select>
          </label>
          {account ? (
            <>
              <span className="handle">@{account.handle}</span>
              <button type="button" onClick={() => void signOut().then(() => navigate('/'))}>
                {t('nav.signOut')}
              </button>
            </>
          ) : (
            <>
              <Link to="/login">{t('nav.signIn')}</Link>
              <Link to="/signup" className="button">
                {t('nav.signUp')}
              </Link>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </>
  );
}
