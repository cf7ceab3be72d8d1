import { useInfiniteQuery } from '@tanstack/react-query';

/**
 * A keyset-paged list (the API's `items` + `nextCursor`), fetched a page at a time: `page(cursor)`
 * reads the page after `cursor` (undefined for the first). `items` are all pages read so far.
 */
export function usePages<T>(
  queryKey: readonly unknown[],
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | null }>,
  enabled = true,
) {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => page(pageParam || undefined),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled,
  });
  return { ...query, items: query.data?.pages.flatMap((p) => p.items) ?? [] };
}

/** `{ cursor }` when there is one, for a query's parameters. */
export const cursorParam = (cursor: string | undefined) => (cursor ? { cursor } : {});
