import { loadStripe, type Stripe, type StripeElements } from '@stripe/stripe-js';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, idempotencyKey, unwrap, type Schemas } from '../api/client';
import { Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import {
  PaidNote,
  settledOrder,
  UnpaidNote,
  useAfterPayment,
  type CheckoutTarget,
  type Order,
} from './Checkout';

/**
 * Card checkout through Stripe's Payment Element: the card is typed into Stripe's own frame and
 * becomes a PaymentMethod there; this page sends only its id (POST /checkout `paymentMethodId`), so
 * card numbers never reach our server. 3-D Secure runs in Stripe.js (`handleNextAction`); the order
 * is then read until the webhook settles it.
 */
export default function StripeCheckout({
  target,
  price,
  publishableKey,
}: {
  target: CheckoutTarget;
  price: Schemas['PriceView'];
  publishableKey: string;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const afterPayment = useAfterPayment();
  const frame = useRef<HTMLDivElement>(null);
  const [stripe, setStripe] = useState<Stripe>();
  const [elements, setElements] = useState<StripeElements>();
  const [unavailable, setUnavailable] = useState(false);
  const [cardError, setCardError] = useState<string>();

  useEffect(() => {
    let mounted = true;
    loadStripe(publishableKey).then(
      (loaded) => {
        if (!mounted) return;
        if (!loaded || !frame.current) return setUnavailable(true);
        const group = loaded.elements({
          mode: 'payment',
          amount: price.amountMinor,
          currency: price.currency.toLowerCase(),
          paymentMethodCreation: 'manual',
        });
        group.create('payment').mount(frame.current);
        setStripe(loaded);
        setElements(group);
      },
      () => mounted && setUnavailable(true),
    );
    return () => {
      mounted = false;
    };
  }, [publishableKey, price.amountMinor, price.currency]);

  const pay = useMutation({
    mutationFn: async (): Promise<Order | undefined> => {
      setCardError(undefined);
      const submitted = await elements!.submit();
      if (submitted.error) return void setCardError(submitted.error.message);
      const created = await stripe!.createPaymentMethod({ elements: elements! });
      if (created.error) return void setCardError(created.error.message);
      let order = await unwrap(
        api.POST('/checkout', {
          body: {
            ...target,
            idempotencyKey: idempotencyKey(),
            paymentMethodId: created.paymentMethod.id,
            returnUrl: window.location.href,
          },
        }),
      );
      if (order.status === 'requires_action' && order.nextAction?.clientSecret) {
        const handled = await stripe!.handleNextAction({ clientSecret: order.nextAction.clientSecret });
        if (handled.error) setCardError(handled.error.message);
      }
      if (!['paid', 'failed', 'expired'].includes(order.status)) order = await settledOrder(order.orderId);
      return afterPayment(order);
    },
  });

  if (unavailable) {
    return (
      <p role="alert" className="problem" data-testid="cards-unavailable">
        {t('checkout.stripeUnavailable')}
      </p>
    );
  }
  const order = pay.data;
  if (order?.status === 'paid') return <PaidNote />;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    pay.mutate();
  };
  return (
    <form className="checkout" onSubmit={submit} aria-labelledby="checkout-title">
      <h3 id="checkout-title">{t('checkout.title')}</h3>
      {!elements && <Loading />}
      <div ref={frame} />
      {cardError && (
        <p role="alert" className="problem">
          {cardError}
        </p>
      )}
      {order && <UnpaidNote order={order} />}
      {pay.isError && <ProblemNote error={pay.error} />}
      <button type="submit" disabled={!elements || pay.isPending}>
        {pay.isPending
          ? t('checkout.paying')
          : t('checkout.pay', { price: format.money(price.amountMinor, price.currency) })}
      </button>
    </form>
  );
}
