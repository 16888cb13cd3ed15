/**
 * A token bucket: `burst` calls at once, refilled at `perMs` a millisecond. Pure arithmetic on a clock
 * passed in, so the GitLab call budget and the webhook intake limit share one tested rule.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perMs: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** Takes `n` tokens and returns 0, or takes none and returns the milliseconds until `n` are there. */
  take(n = 1, now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, now - this.at) * this.perMs);
    this.at = now;
    if (this.tokens >= n) {
      this.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil((n - this.tokens) / this.perMs));
  }
}
