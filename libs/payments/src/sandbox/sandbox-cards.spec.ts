import { describe, expect, it } from 'vitest';
import { brandOf, checkSandboxCard, passesLuhn, SANDBOX_TEST_CARDS } from './sandbox-cards.js';

const NOW = new Date(Date.UTC(2030, 5, 15));

describe('sandbox card checks', () => {
  it('computes the Luhn checksum', () => {
    for (const number of Object.values(SANDBOX_TEST_CARDS)) expect(passesLuhn(number)).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
    expect(passesLuhn('79927398713')).toBe(true);
  });

  it('names brands as Stripe does', () => {
    expect(brandOf('4242424242424242')).toBe('visa');
    expect(brandOf('5555555555554444')).toBe('mastercard');
    expect(brandOf('2223003122003222')).toBe('mastercard');
    expect(brandOf('378282246310005')).toBe('amex');
    expect(brandOf('6011111111111117')).toBe('discover');
    expect(brandOf('3566002020360505')).toBe('jcb');
    expect(brandOf('6200000000000005')).toBe('unionpay');
  });

  it('accepts spaces and dashes in the number and keeps only brand and last four', () => {
    const check = checkSandboxCard(
      { number: '4242 4242-4242 4242', expMonth: 12, expYear: 2031, cvc: '123' },
      NOW,
    );
    expect(check).toEqual({ ok: true, card: { brand: 'visa', last4: '4242' }, behaviour: 'succeed' });
  });

  it('treats a card as valid through the end of its expiry month', () => {
    const card = { number: SANDBOX_TEST_CARDS.success, cvc: '123' };
    expect(checkSandboxCard({ ...card, expMonth: 6, expYear: 2030 }, NOW).ok).toBe(true);
    expect(checkSandboxCard({ ...card, expMonth: 6, expYear: 30 }, NOW).ok).toBe(true);
    expect(checkSandboxCard({ ...card, expMonth: 5, expYear: 2030 }, NOW)).toMatchObject({
      declineCode: 'expired_card',
    });
    expect(checkSandboxCard({ ...card, expMonth: 13, expYear: 2031 }, NOW)).toMatchObject({
      declineCode: 'expired_card',
    });
  });

  it('checks number before expiry before CVC', () => {
    const bad = { number: '4242424242424241', expMonth: 1, expYear: 2000, cvc: '1' };
    expect(checkSandboxCard(bad, NOW)).toMatchObject({ declineCode: 'incorrect_number' });
    expect(checkSandboxCard({ ...bad, number: SANDBOX_TEST_CARDS.success }, NOW)).toMatchObject({
      declineCode: 'expired_card',
    });
    expect(
      checkSandboxCard({ ...bad, number: SANDBOX_TEST_CARDS.success, expYear: 2031 }, NOW),
    ).toMatchObject({
      declineCode: 'incorrect_cvc',
    });
  });

  it('wants four CVC digits for Amex and three for others', () => {
    const amex = { number: '378282246310005', expMonth: 1, expYear: 2031 };
    expect(checkSandboxCard({ ...amex, cvc: '1234' }, NOW).ok).toBe(true);
    expect(checkSandboxCard({ ...amex, cvc: '123' }, NOW)).toMatchObject({ declineCode: 'incorrect_cvc' });
    const visa = { number: SANDBOX_TEST_CARDS.success, expMonth: 1, expYear: 2031 };
    expect(checkSandboxCard({ ...visa, cvc: '1234' }, NOW)).toMatchObject({ declineCode: 'incorrect_cvc' });
    expect(checkSandboxCard({ ...visa, cvc: '12a' }, NOW)).toMatchObject({ declineCode: 'incorrect_cvc' });
  });

  it('rejects numbers that are too short or not digits', () => {
    const card = { expMonth: 1, expYear: 2031, cvc: '123' };
    expect(checkSandboxCard({ ...card, number: '0' }, NOW)).toMatchObject({
      declineCode: 'incorrect_number',
    });
    expect(checkSandboxCard({ ...card, number: '4242abcd42424242' }, NOW)).toMatchObject({
      declineCode: 'incorrect_number',
    });
  });
});
