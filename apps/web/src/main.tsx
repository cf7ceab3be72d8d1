import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider, createBrowserRouter } from 'react-router';
import { Layout } from './components/Layout';
import './i18n';
import { SignIn, SignUp } from './pages/Auth';
import { Browse } from './pages/Browse';
import { Drop } from './pages/Drop';
import { Home } from './pages/Home';
import { Item } from './pages/Item';
import { MyCollection, MyOrders } from './pages/My';
import './styles.css';

// The verifier carries the ledger core: loaded only by those who open it.
const Verify = lazy(() => import('./pages/Verify').then((module) => ({ default: module.Verify })));
// The operator and auditor console: its own route tree and chunk.
const Console = lazy(() => import('./console/Console'));
// The creator studio is its own route tree and chunk: buyers never download it.
const Studio = lazy(() => import('./studio/Studio'));

const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: '/', element: <Home /> },
      { path: '/browse', element: <Browse /> },
      { path: '/item/*', element: <Item /> },
      { path: '/drop/*', element: <Drop /> },
      { path: '/login', element: <SignIn /> },
      { path: '/signup', element: <SignUp /> },
      { path: '/my', element: <MyCollection /> },
      { path: '/my/orders', element: <MyOrders /> },
      { path: '/verify', element: <Verify /> },
      { path: '/console/*', element: <Console /> },
      { path: '/studio/*', element: <Studio /> },
    ],
  },
]);

const queries = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
