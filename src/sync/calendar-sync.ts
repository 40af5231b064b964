import { findAccountRow } from "../accounts/accounts-repo";
import type { Config } from "../config";
import type { Db } from "../db/client";
import { FullSyncRequiredError, listEventsForSync } from "../google/events-list";
import { ProblemError } from "../http/problem";
import type { TokenStore } from "../tokens/token-store";
import type { WebhookJob } from "../webhooks/delivery-queue";
import { enqueueWebhookDeliveries } from "../webhooks/fan-out";
import { applyGoogleChanges } from "./apply-google-changes";
import { claimSync, releaseSync } from "./sync-repo";
import type { SyncJob } from "./sync-requests";

// One incremental sync of a followed calendar (developers.google.com/calendar/api/guides/sync): every
// page since the stored sync token, changes applied as they come, the next token stored only when every
// owned event could be judged. A 410 starts over with a full listing, which duplicates nothing because
// only differences are written.

export interface SyncDeps {
  config: Config;
  db: Db;
  tokens: TokenStore;
  webhookQueue: Queue<WebhookJob>;
}

/** What a sync run ended with: done, nothing to do, or try again later. */
export type SyncOutcome =
  | { status: "synced"; applied: number; fullSync: boolean }
  | { status: "skipped"; reason: string }
  | { status: "retry"; reason: string; delaySeconds: number };

/** Longest a run may hold a calendar; another run may take it after that (a crashed one never releases). */
const LEASE_MS = 5 * 60_000;
/** A page this service could not judge yet (its own write in flight) is looked at again after this. */
const BLOCKED_RETRY_SECONDS = 15;
const FAILED_RETRY_SECONDS = 30;

/** Runs one sync of the calendar in `job`, unless another run holds it (then: retry later). */
export async function syncCalendar(deps: SyncDeps, job: SyncJob, now = Date.now()): Promise<SyncOutcome> {
  const claim = await claimSync(deps.db, job.accountId, job.calendarId, now, LEASE_MS);
  if (!claim) return { status: "retry", reason: "another sync holds the calendar", delaySeconds: 10 };
  const account = await findAccountRow(deps.db, job.accountId);
  if (account?.status !== "connected") {
    await releaseSync(deps.db, job.accountId, job.calendarId, { error: "account not connected" });
    return { status: "skipped", reason: "account not connected" };
  }
  try {
    let syncToken = claim.syncToken;
    let pageToken: string | undefined;
    let fullSync = !syncToken;
    let applied = 0;
    let blocked = false;
    for (;;) {
      let page: Awaited<ReturnType<typeof listEventsForSync>>;
      try {
        page = await listEventsForSync(deps, job.accountId, job.calendarId, { syncToken, pageToken });
      } catch (err) {
        if (!(err instanceof FullSyncRequiredError) || !syncToken) throw err;
        syncToken = null;
        pageToken = undefined;
        fullSync = true;
        continue;
      }
      const result = await applyGoogleChanges(deps.db, account, job.calendarId, page.items);
      applied += result.applied;
      blocked ||= result.blocked;
      await enqueueWebhookDeliveries(deps, result.webhookIds);
      if (page.nextPageToken) {
        pageToken = page.nextPageToken;
        continue;
      }
      if (blocked) {
        // The token is not advanced: the same changes come back next time, when our write is done.
        await releaseSync(deps.db, job.accountId, job.calendarId, { error: "waiting for a write in flight" });
        return {
          status: "retry",
          reason: "a write of this service was in flight",
          delaySeconds: BLOCKED_RETRY_SECONDS,
        };
      }
      await releaseSync(deps.db, job.accountId, job.calendarId, {
        syncToken: page.nextSyncToken ?? null,
        syncedAt: new Date().toISOString(),
      });
      return { status: "synced", applied, fullSync };
    }
  } catch (err) {
    const reason = err instanceof ProblemError ? err.code : String(err);
    await releaseSync(deps.db, job.accountId, job.calendarId, { error: reason });
    if (err instanceof ProblemError && err.code === "reauthorization_required") {
      return { status: "skipped", reason };
    }
    return { status: "retry", reason, delaySeconds: FAILED_RETRY_SECONDS };
  }
}
