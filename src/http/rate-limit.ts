import { ProblemError } from "./problem";

/** The period configured for both limiters in wrangler.toml, in seconds. */
const PERIOD_SECONDS = 60;

/**
 * Spends one unit of a Workers rate-limit budget; over it, a 429 `rate_limited` problem with
 * Retry-After. The limiter counts per location and is eventually consistent: a guard, not an invoice.
 */
export async function enforceRateLimit(limiter: RateLimit, key: string, what: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) {
    throw new ProblemError("rate_limited", {
      detail: `Too many requests for this ${what}. Retry after ${PERIOD_SECONDS} seconds.`,
      headers: { "retry-after": String(PERIOD_SECONDS) },
    });
  }
}
