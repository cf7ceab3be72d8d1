import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, session, unwrap, type Schemas } from './api/client';

/** The signed-in account (null when signed out), from GET /me. */
export function useAccount() {
  return useQuery({
    queryKey: ['me', session.token()],
    queryFn: async (): Promise<Schemas['AccountView'] | null> => {
      if (!session.token()) return null;
      try {
        return await unwrap(api.GET('/me'));
      } catch {
        // An expired or revoked session: forget it rather than fail every page.
        session.set(null);
        return null;
      }
    },
    staleTime: 60_000,
  });
}

/** Starts or ends the session and refetches everything that depends on who is asking. */
export function useSession() {
  const queries = useQueryClient();
  return {
    signedIn: async (token: string) => {
      session.set(token);
      await queries.invalidateQueries();
    },
    signOut: async () => {
      await api.POST('/auth/sign-out').catch(() => undefined);
      session.set(null);
      queries.clear();
    },
  };
}
