/**
 * Base class for every error the ledger core throws. Each subclass carries a stable `code`
 * so callers (HTTP layer, CLI, browser verifier) can branch without parsing messages.
 */
export class LedgerCoreError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
