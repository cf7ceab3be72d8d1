// Checkout's advisory lock keys (PostgreSQL hashes them with `hashtext`), built here and only here.
// The SQL function reserve_from_drop (migration 1764000900000-CapHoldsAndTicketEntries) keeps its
// own copy of both, `'checkout:' || buyer || ':' || key` and `'buyer:' || buyer`: a change to either
// key needs a migration redefining that function too, or a checkout and a drop batch stop excluding
// each other.

/** The lock of one buyer's idempotency key: a retry waits for its original, on every checkout path. */
export function idempotencyLockKey(buyerId: string, idempotencyKey: string): string {
  return `checkout:${buyerId}:${idempotencyKey}`;
}

/** The lock that serialises one buyer's reservations (cap on unpaid holds, per-buyer limits). */
export function buyerLockKey(buyerId: string): string {
  return `buyer:${buyerId}`;
}
