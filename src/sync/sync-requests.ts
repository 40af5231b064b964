import type { Db } from "../db/client";
import { requestSync } from "./sync-repo";

/** A sync queue message: which followed calendar to bring up to date. */
export interface SyncJob {
  accountId: string;
  calendarId: string;
}

export interface SyncRequestDeps {
  db: Db;
  syncQueue: Queue<SyncJob>;
}

/**
 * How long a sync message waits on the queue: the notifications of one burst (Google sends one per
 * change) arrive meanwhile and find it pending, so the burst costs one sync.
 */
const GATHER_SECONDS = 2;

/**
 * Asks for a sync of a followed calendar, coalesced: only the first request of a burst enqueues a message.
 * If the send fails, the mark stays and the cron job enqueues it again once it is presumed lost.
 */
export async function scheduleSync(deps: SyncRequestDeps, job: SyncJob, now = Date.now()): Promise<boolean> {
  if (!(await requestSync(deps.db, job.accountId, job.calendarId, now))) return false;
  await deps.syncQueue.send(job, { delaySeconds: GATHER_SECONDS });
  return true;
}
