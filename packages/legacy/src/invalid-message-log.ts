// Rule 11 at the broadcast edge: every refused message is counted; only the first few are logged, so a
// misbehaving sender cannot flood the log.
// Rules cited here: docs/semantics.md#rule-11.
import type { Logger } from "@lattice-cache/core/backend";

/** Counts refused messages and logs a bounded number of them. */
export class InvalidMessageLog {
  private logged = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly maxLogged = 20,
  ) {}

  /** Logs one refusal (while under the bound). */
  report(subject: string, reason: string | undefined): void {
    if (this.logged >= this.maxLogged) return;
    this.logged += 1;
    const last = this.logged === this.maxLogged ? " (further ones are only counted)" : "";
    this.logger.warn({ subject, reason }, `skipping an invalid ${this.what}${last}`);
  }
}
