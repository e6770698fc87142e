/**
 * One line when a dependency goes away and one when it is back, however many attempts fail in
 * between: an outage of PostgreSQL is one event in the logs, not a line a second.
 */
export class OutageLog {
  private since: number | undefined;
  private failures = 0;

  constructor(
    private readonly what: string,
    private readonly log: { warn(message: string): void; log(message: string): void },
    private readonly now: () => number = Date.now,
  ) {}

  get down(): boolean {
    return this.since !== undefined;
  }

  /** A failure for lack of the dependency: logged if it is the first of this outage. */
  failed(reason: string): void {
    this.failures += 1;
    if (this.since !== undefined) return;
    this.since = this.now();
    this.log.warn(`${this.what} unavailable (${reason}): retrying until it is back`);
  }

  /** A success: if an outage was running, it ended. */
  succeeded(): void {
    if (this.since === undefined) return;
    const seconds = ((this.now() - this.since) / 1000).toFixed(1);
    this.log.log(
      `${this.what} back after ${seconds} s (${this.failures} attempts failed meanwhile)`,
    );
    this.since = undefined;
    this.failures = 0;
  }
}
