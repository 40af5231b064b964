// Google → this service in tests: the emulator holds each push notification (vitest.config.ts), and these
// helpers deliver them to the Worker's real /webhooks/google, as Google would, then wait for the sync.
import { env } from "cloudflare:workers";
import { app } from "./app";
import { callsOf, channelsOf, type HeldNotification, takeNotifications } from "./google";

/** Posts one held notification to the Worker, exactly as Google sends it (headers only). */
export async function deliver(notification: HeldNotification): Promise<Response> {
  const { pathname } = new URL(notification.address);
  return app(pathname, { method: "POST", headers: notification.headers });
}

/** Takes every held notification of the account's channels and delivers them in order; their statuses. */
export async function deliverNotifications(email: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const notification of await takeNotifications(email))
    statuses.push((await deliver(notification)).status);
  return statuses;
}

/** How many sync runs listed the account's events (each run of one page lists once). */
export async function syncRuns(email: string): Promise<number> {
  return (await callsOf(email, "events.list")).filter((c) => c.status !== null).length;
}

/**
 * Waits (bounded) for `check` to hold: the sync runs on the real local queue a couple of seconds after the
 * notification that asked for it.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the account's followed calendars have no sync pending, running or queued. */
export async function syncSettled(accountId: string, timeoutMs = 15_000): Promise<void> {
  await eventually(async () => {
    const { results } = await env.DB.prepare(
      `SELECT count(*) AS busy FROM calendar_syncs WHERE account_id = ?
         AND (sync_enqueued_at IS NOT NULL OR (lease_until IS NOT NULL AND lease_until > ?))`,
    )
      .bind(accountId, new Date().toISOString())
      .all<{ busy: number }>();
    return results[0]?.busy === 0;
  }, timeoutMs);
}

/** The account's live channel (its push subscription), once the consent's background work opened it. */
export async function liveChannel(email: string) {
  return eventually(async () => (await channelsOf(email)).find((c) => !c.stopped && !c.expired));
}
