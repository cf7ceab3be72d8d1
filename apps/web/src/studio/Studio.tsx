import type { ReactNode } from 'react';
import { NavLink, Navigate, Route, Routes, useLocation } from 'react-router';
import { useAccount } from '../auth';
import { Loading } from '../components/Problem';
import { Apply } from './Apply';
import { CollectionPage, NewCollection, StudioHome } from './Collections';
import { Earnings } from './Earnings';
import { MintPage } from './Mint';
import { ScheduleDrop } from './ScheduleDrop';
import { useStudioWords } from './register';

/** Signed-in accounts only: others sign in and come back here. */
function SignedIn({ children }: { children: ReactNode }) {
  const account = useAccount();
  const location = useLocation();
  if (account.isPending) return <Loading />;
  if (!account.data) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  return <>{children}</>;
}

/** Creators only: everyone else is shown how to become one. */
function CreatorsOnly({ children }: { children: ReactNode }) {
  const account = useAccount().data;
  if (!account?.roles.includes('creator')) return <Navigate to="/studio/apply" replace />;
  return (
    <>
      <StudioNav />
      {children}
    </>
  );
}

function StudioNav() {
  const { t } = useStudioWords();
  return (
    <nav aria-label={t('nav.label')} className="studio-nav">
      <NavLink to="/studio" end>
        {t('nav.collections')}
      </NavLink>
      <NavLink to="/studio/collections/new">{t('nav.newCollection')}</NavLink>
      <NavLink to="/studio/earnings">{t('nav.earnings')}</NavLink>
    </nav>
  );
}

const creator = (page: ReactNode) => <CreatorsOnly>{page}</CreatorsOnly>;

/** The creator studio under /studio/*: its own chunk, loaded only by those who open it. */
export default function Studio() {
  return (
    <SignedIn>
      <Routes>
        <Route path="apply" element={<Apply />} />
        <Route index element={creator(<StudioHome />)} />
        <Route path="collections/new" element={creator(<NewCollection />)} />
        <Route path="collections/:id" element={creator(<CollectionPage />)} />
        <Route path="collections/:id/mint" element={creator(<MintPage />)} />
        <Route path="collections/:id/drop" element={creator(<ScheduleDrop />)} />
        <Route path="earnings" element={creator(<Earnings />)} />
        <Route path="*" element={<Navigate to="/studio" replace />} />
      </Routes>
    </SignedIn>
  );
}
