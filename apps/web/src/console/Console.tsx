import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { useAccount } from '../auth';
import { Empty, Loading } from '../components/Problem';
import { AccountPage, AccountSearch } from './Accounts';
import { useCanAct, useWords } from './common';
import './console.css';
import { CreatorQueue } from './Creators';
import { LedgerStatus } from './Ledger';
import { Payouts } from './Payouts';
import { Policies } from './Policies';
import { Reconciliation } from './Reconciliation';
import { Refunds } from './Refunds';
import { Appeals, TokenPage, TokenSearch } from './Tokens';
import { Trail } from './Trail';
import { registerWords } from './words';

registerWords();

const SECTIONS = [
  'creators',
  'accounts',
  'tokens',
  'appeals',
  'refunds',
  'ledger',
  'reconciliation',
  'payouts',
  'trail',
  'policies',
] as const;

/** The operator and auditor console at /console/*: its own chunk, loaded only by those who open it. */
export default function Console() {
  const { t } = useWords();
  const account = useAccount();
  const location = useLocation();
  const canAct = useCanAct();
  if (account.isPending) return <Loading />;
  if (!account.data) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  if (!account.data.roles.some((role) => role === 'operator' || role === 'auditor'))
    return (
      <p role="alert" className="problem">
        {t('notAllowed')}
      </p>
    );
  return (
    <div className="console">
      <nav aria-label={t('nav.label')} className="console-nav">
        {SECTIONS.map((section) => (
          <NavLink key={section} to={`/console/${section}`}>
            {t(`nav.${section}`)}
          </NavLink>
        ))}
      </nav>
      <div className="console-body">
        {!canAct && (
          <p className="notice" data-testid="read-only">
            {t('readOnly')}
          </p>
        )}
        <Routes>
          <Route index element={<Navigate to="creators" replace />} />
          <Route path="creators" element={<CreatorQueue />} />
          <Route path="accounts" element={<AccountSearch />} />
          <Route path="accounts/:id" element={<AccountPage />} />
          <Route path="tokens" element={<TokenSearch />} />
          <Route path="tokens/*" element={<TokenPage />} />
          <Route path="appeals" element={<Appeals />} />
          <Route path="refunds" element={<Refunds />} />
          <Route path="ledger" element={<LedgerStatus />} />
          <Route path="reconciliation" element={<Reconciliation />} />
          <Route path="payouts" element={<Payouts />} />
          <Route path="trail" element={<Trail />} />
          <Route path="policies" element={<Policies />} />
          <Route path="*" element={<Empty>{t('notFound')}</Empty>} />
        </Routes>
      </div>
    </div>
  );
}
