import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { api, idempotencyKey, unwrap, type Schemas } from '../api/client';
import { useAccount } from '../auth';
import { Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';

export type Order = Schemas['OrderView'];
export type CheckoutTarget = { tokenId: string } | { dropId: string };

// Stripe's Payment Element (and its loader) only for installations that take cards through Stripe.
const StripeCheckout = lazy(() => import('./StripeCheckout'));

/** The sandbox rail's test cards (PRODUCT.md): what each does when paid with. */
const TEST_CARDS = [
  { number: '4242 4242 4242 4242', label: 'ok' },
  { number: '4000 0025 0000 3155', label: 'threeDs' },
  { number: '4000 0000 0000 0002', label: 'declined' },
  { number: '4000 0000 0000 9995', label: 'funds' },
] as const;

const SETTLED = new Set<Order['status']>([
  'paid',
  'failed',
  'expired',
  'refunded',
  'refund_pending',
  'disputed',
]);

/** Reads the order until it leaves "reserved" / "requires_action" (the webhook settles it). */
export async function settledOrder(orderId: string): Promise<Order> {
  for (let attempt = 0; ; attempt++) {
    const order = await unwrap(api.GET('/orders/{id}', { params: { path: { id: orderId } } }));
    if (SETTLED.has(order.status) || attempt >= 60) return order;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function parseExpiry(text: string): { expMonth: number; expYear: number } | undefined {
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(text);
  if (!match) return undefined;
  const expMonth = Number(match[1]);
  const year = Number(match[2]);
  if (expMonth < 1 || expMonth > 12) return undefined;
  return { expMonth, expYear: year < 100 ? 2000 + year : year };
}

/**
 * Refreshes what a paid order changed, except the page it was bought from: that page would refetch,
 * see the piece sold and drop the checkout showing the result.
 */
export function useAfterPayment() {
  const queries = useQueryClient();
  return async (order: Order) => {
    if (order.status === 'paid') {
      await queries.invalidateQueries({
        predicate: (query) => !['token', 'drop'].includes(String(query.queryKey[0])),
      });
    }
    return order;
  };
}

/** The outcome of a settled order that did not pay: why, and what to do. */
export function UnpaidNote({ order }: { order: Order }) {
  const { t } = useTranslation();
  return (
    <p role="alert" className="problem">
      {order.status === 'expired'
        ? t('checkout.expired')
        : t(`decline.${order.declineCode ?? 'other'}`, { defaultValue: t('decline.other') })}
    </p>
  );
}

export function PaidNote() {
  const { t } = useTranslation();
  return (
    <p role="status" className="success">
      {t('checkout.paid')} <Link to="/my">{t('nav.collection')}</Link>
    </p>
  );
}

/**
 * Card checkout for one token, or any edition of a drop: the sandbox's card form, or Stripe's
 * Payment Element when the installation takes cards through Stripe (GET /checkout/config).
 */
export function Checkout({ target, price }: { target: CheckoutTarget; price: Schemas['PriceView'] }) {
  const { t } = useTranslation();
  const location = useLocation();
  const account = useAccount();
  const config = useQuery({
    queryKey: ['checkout-config'],
    queryFn: () => unwrap(api.GET('/checkout/config')),
    staleTime: Infinity,
  });
  if (!account.data) {
    return (
      <p>
        <Link to={`/login?next=${encodeURIComponent(location.pathname)}`}>{t('checkout.signInFirst')}</Link>
      </p>
    );
  }
  if (config.isPending) return <Loading />;
  if (config.isError) return <ProblemNote error={config.error} onRetry={() => void config.refetch()} />;
  if (config.data.rail === 'sandbox') return <SandboxCheckout target={target} price={price} />;
  if (!config.data.stripePublishableKey) {
    return (
      <p role="alert" className="problem">
        {t('checkout.cardsUnavailable')}
      </p>
    );
  }
  return (
    <Suspense fallback={<Loading />}>
      <StripeCheckout target={target} price={price} publishableKey={config.data.stripePublishableKey} />
    </Suspense>
  );
}

/** The sandbox rail's card form (test cards), with its 3-D Secure step. */
function SandboxCheckout({ target, price }: { target: CheckoutTarget; price: Schemas['PriceView'] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const afterPayment = useAfterPayment();
  const [number, setNumber] = useState('');
  const [expiry, setExpiry] = useState('');
  const [cvc, setCvc] = useState('');
  const [formError, setFormError] = useState<string>();
  const [challenge, setChallenge] = useState<Order>();

  const finish = async (order: Order) => {
    setChallenge(order.status === 'requires_action' ? order : undefined);
    return afterPayment(order);
  };
  const pay = useMutation({
    mutationFn: async () => {
      const expires = parseExpiry(expiry)!;
      const order = await unwrap(
        api.POST('/checkout', {
          body: {
            ...target,
            idempotencyKey: idempotencyKey(),
            card: { number: number.replace(/\s+/g, ''), cvc: cvc.trim(), ...expires },
          },
        }),
      );
      return finish(order.status === 'reserved' ? await settledOrder(order.orderId) : order);
    },
  });
  const confirm = useMutation({
    mutationFn: async (approve: boolean) => {
      await unwrap(
        api.POST('/sandbox/3ds/{paymentId}', {
          params: { path: { paymentId: challenge!.paymentId! } },
          body: { approve },
        }),
      );
      return finish(await settledOrder(challenge!.orderId));
    },
  });

  const order = confirm.data ?? pay.data;
  if (order?.status === 'paid') return <PaidNote />;
  if (challenge) {
    return (
      <section className="challenge" aria-labelledby="challenge-title">
        <h3 id="challenge-title">{t('checkout.challenge')}</h3>
        <p>{format.money(challenge.amountMinor, challenge.currency)}</p>
        <button type="button" onClick={() => confirm.mutate(true)} disabled={confirm.isPending}>
          {t('checkout.approve')}
        </button>{' '}
        <button
          type="button"
          className="secondary"
          onClick={() => confirm.mutate(false)}
          disabled={confirm.isPending}
        >
          {t('checkout.reject')}
        </button>
        {confirm.isError && <ProblemNote error={confirm.error} />}
      </section>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!parseExpiry(expiry)) return setFormError(t('checkout.badExpiry'));
    setFormError(undefined);
    pay.mutate();
  };
  return (
    <form className="checkout" onSubmit={submit} aria-labelledby="checkout-title">
      <h3 id="checkout-title">{t('checkout.title')}</h3>
      <label>
        {t('checkout.number')}
        <input
          name="cardnumber"
          autoComplete="cc-number"
          inputMode="numeric"
          required
          value={number}
          onChange={(event) => setNumber(event.target.value)}
        />
      </label>
      <div className="row">
        <label>
          {t('checkout.expiry')}
          <input
            name="exp"
            autoComplete="cc-exp"
            placeholder="MM/YY"
            required
            value={expiry}
            onChange={(event) => setExpiry(event.target.value)}
          />
        </label>
        <label>
          {t('checkout.cvc')}
          <input
            name="cvc"
            autoComplete="cc-csc"
            inputMode="numeric"
            required
            value={cvc}
            onChange={(event) => setCvc(event.target.value)}
          />
        </label>
      </div>
      <details className="test-cards">
        <summary>{t('checkout.testCards')}</summary>
        <ul>
          {TEST_CARDS.map((card) => (
            <li key={card.number}>
              <button
                type="button"
                className="link"
                onClick={() => {
                  setNumber(card.number);
                  setExpiry(`12/${(new Date().getFullYear() + 2) % 100}`);
                  setCvc('123');
                }}
              >
                {card.number}
              </button>{' '}
              {t(`checkout.cards.${card.label}`)}
            </li>
          ))}
        </ul>
      </details>
      {formError && (
        <p role="alert" className="problem">
          {formError}
        </p>
      )}
      {order && <UnpaidNote order={order} />}
      {pay.isError && <ProblemNote error={pay.error} />}
      <button type="submit" disabled={pay.isPending}>
        {pay.isPending
          ? t('checkout.paying')
          : t('checkout.pay', { price: format.money(price.amountMinor, price.currency) })}
      </button>
    </form>
  );
}
