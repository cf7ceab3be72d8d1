import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * The asking price shown on a token (the catalogue filters and sorts by it). Minting owns the
 * `tokens` table, so the market sets the price through here when it lists a token.
 */
@Injectable()
export class TokenPricing {
  /** Sets the asking price of the tokens, in the caller's transaction. */
  async setAskingPrice(
    manager: EntityManager,
    tokenIds: readonly string[],
    priceMinor: number,
    currency: string,
  ): Promise<void> {
    await manager.query(`UPDATE tokens SET price_minor = $2, currency = $3 WHERE id = ANY($1::text[])`, [
      tokenIds,
      priceMinor,
      currency,
    ]);
  }

  /** Clears the asking price of tokens taken off sale, in the caller's transaction. */
  async clearAskingPrice(manager: EntityManager, tokenIds: readonly string[]): Promise<void> {
    await manager.query(`UPDATE tokens SET price_minor = NULL, currency = NULL WHERE id = ANY($1::text[])`, [
      tokenIds,
    ]);
  }
}
