import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { api, idempotencyKey, unwrap, type Schemas } from '../api/client';
import { useAccount } from '../auth';
import { ProblemNote } from '../components/Problem';
import { useFormat } from '../format';

type Order = Schemas['OrderView'];

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
async function settledOrder(orderId: string): Promise<Order> {
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

/** Card checkout on the sandbox rail, with its 3-D Secure step: one token, or any edition of a drop. */
export function Checkout({
  target,
  price,
}: {
  target: { tokenId: string } | { dropId: string };
  price: Schemas['PriceView'];
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const location = useLocation();
  const account = useAccount();
  const queries = useQueryClient();
  const [number, setNumber] = useState('');
  const [expiry, setExpiry] = useState('');
  const [cvc, setCvc] = useState('');
  const [formError, setFormError] = useState<string>();
  const [challenge, setChallenge] = useState<Order>();

  const finish = async (order: Order) => {
    setChallenge(order.status === 'requires_action' ? order : undefined);
    // Not the page being bought from: it would refetch, see the piece sold and drop this form.
    if (order.status === 'paid') {
      await queries.invalidateQueries({
        predicate: (query) => !['token', 'drop'].includes(String(query.queryKey[0])),
      });
    }
    return order;
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

  if (!account.data) {
    return (
      <p>
        <Link to={`/login?next=${encodeURIComponent(location.pathname)}`}>{t('checkout.signInFirst')}</Link>
      </p>
    );
  }
  const order = confirm.data ?? pay.data;
  if (order?.status === 'paid') {
    return (
      <p role="status" className="success">
        {t('checkout.paid')} <Link to="/my">{t('nav.collection')}</Link>
      </p>
    );
  }
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
  const declined = order;
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
      {declined && (
        <p role="alert" className="problem">
          {declined.status === 'expired'
            ? t('checkout.expired')
            : t(`decline.${declined.declineCode ?? 'other'}`, { defaultValue: t('decline.other') })}
        </p>
      )}
      {pay.isError && <ProblemNote error={pay.error} />}
      <button type="submit" disabled={pay.isPending}>
        {pay.isPending
          ? t('checkout.paying')
          : t('checkout.pay', { price: format.money(price.amountMinor, price.currency) })}
      </button>
    </form>
  );
}
