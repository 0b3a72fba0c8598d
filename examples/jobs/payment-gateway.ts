import { createHash } from 'node:crypto';

/**
 * A stand-in payment gateway that does the checks a real one does (amount, currency, card
 * number by the Luhn rule) and answers like Stripe's test cards:
 * 4000 0000 0000 0002 is declined every time; 4000 0000 0000 0119 has a processing error on
 * the first two attempts and then succeeds; any other valid number is approved.
 */
export const DECLINED_CARD = '4000000000000002';
export const FLAKY_CARD = '4000000000000119';
export const GOOD_CARD = '4242424242424242';

const CURRENCIES = new Set(['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD']);

export class CardDeclinedError extends Error {
  override name = 'CardDeclinedError';
}
export class GatewayUnavailableError extends Error {
  override name = 'GatewayUnavailableError';
}

export interface Charge {
  paymentId: string;
  amountCents: number;
  feeCents: number;
  currency: string;
  authorization: string;
}

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function charge(input: {
  paymentId: string;
  amount: number;
  currency: string;
  cardNumber: string;
  attempt: number;
}): Charge {
  const cents = Math.round(input.amount * 100);
  if (!Number.isFinite(input.amount) || cents <= 0)
    throw new CardDeclinedError(`Invalid amount ${input.amount}`);
  if (!CURRENCIES.has(input.currency)) throw new CardDeclinedError(`Unsupported currency ${input.currency}`);
  const card = input.cardNumber.replace(/[\s-]/g, '');
  if (!luhnValid(card)) throw new CardDeclinedError(`Card number ${card} is not valid`);
  if (card === DECLINED_CARD) throw new CardDeclinedError(`Card ${card} was declined by the issuer`);
  if (card === FLAKY_CARD && input.attempt <= 2) {
    throw new GatewayUnavailableError(`Gateway timed out charging card ${card} (attempt ${input.attempt})`);
  }
  // 2.9% + 30 cents, rounded half up to whole cents.
  const feeCents = Math.floor((cents * 29 + 500) / 1000) + 30;
  const authorization = createHash('sha256')
    .update(`${input.paymentId}:${card}:${cents}`)
    .digest('hex')
    .slice(0, 12);
  return {
    paymentId: input.paymentId,
    amountCents: cents,
    feeCents,
    currency: input.currency,
    authorization,
  };
}
