import { and, asc, eq, gt, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  accounts,
  type CalendarSyncRow,
  calendarSyncs,
  type WatchChannelRow,
  watchChannels,
} from "../db/schema";

// Every D1 query of the sync state: which calendars are followed, their sync tokens and push channels.

/** After this long an enqueued sync whose message never arrived may be enqueued again. */
export const ENQUEUE_STALE_MS = 5 * 60_000;

/** The statement that starts following a calendar (idempotent), for the batch that first needs it. */
export function followCalendar(db: Db, accountId: string, calendarId: string) {
  return db
    .insert(calendarSyncs)
    .values({ accountId, calendarId, createdAt: new Date().toISOString() })
    .onConflictDoNothing();
}

/**
 * Notes that the calendar needs a sync. True when the caller must put a message on the queue: none is
 * pending (or the pending one is presumed lost). A burst of requests therefore enqueues one message.
 */
export async function requestSync(
  db: Db,
  accountId: string,
  calendarId: string,
  now: number,
): Promise<boolean> {
  const marker = `${new Date(now).toISOString()}#${crypto.randomUUID()}`;
  const stale = new Date(now - ENQUEUE_STALE_MS).toISOString();
  const row = await db
    .update(calendarSyncs)
    .set({
      syncRequestedAt: new Date(now).toISOString(),
      syncEnqueuedAt: sql`CASE WHEN ${calendarSyncs.syncEnqueuedAt} IS NULL OR ${calendarSyncs.syncEnqueuedAt} < ${stale} THEN ${marker} ELSE ${calendarSyncs.syncEnqueuedAt} END`,
    })
    .where(and(eq(calendarSyncs.accountId, accountId), eq(calendarSyncs.calendarId, calendarId)))
    .returning({ enqueued: calendarSyncs.syncEnqueuedAt })
    .get();
  return row?.enqueued === marker;
}

/**
 * Takes the calendar for one sync run: only if no other run holds it. Clears the pending-message mark,
 * so a notification arriving during the run enqueues the next one.
 */
export async function claimSync(
  db: Db,
  accountId: string,
  calendarId: string,
  now: number,
  leaseMs: number,
): Promise<CalendarSyncRow | undefined> {
  const nowIso = new Date(now).toISOString();
  return db
    .update(calendarSyncs)
    .set({ leaseUntil: new Date(now + leaseMs).toISOString(), syncEnqueuedAt: null })
    .where(
      and(
        eq(calendarSyncs.accountId, accountId),
        eq(calendarSyncs.calendarId, calendarId),
        or(isNull(calendarSyncs.leaseUntil), lt(calendarSyncs.leaseUntil, nowIso)),
      ),
    )
    .returning()
    .get();
}

/** Ends a run: the new sync token (null after a failure that needs a full sync), lease released. */
export async function releaseSync(
  db: Db,
  accountId: string,
  calendarId: string,
  outcome: { syncToken: string | null; syncedAt: string } | { error: string },
): Promise<void> {
  await db
    .update(calendarSyncs)
    .set(
      "error" in outcome
        ? { leaseUntil: null, lastError: outcome.error.slice(0, 300) }
        : { leaseUntil: null, lastError: null, syncToken: outcome.syncToken, lastSyncedAt: outcome.syncedAt },
    )
    .where(and(eq(calendarSyncs.accountId, accountId), eq(calendarSyncs.calendarId, calendarId)));
}

/**
 * Calendars of connected accounts due for a sync: last synced (or, never synced, followed) before
 * `before`, or with a requested sync whose message was presumed lost.
 */
export async function dueSyncs(
  db: Db,
  before: string,
  now: number,
  limit: number,
): Promise<CalendarSyncRow[]> {
  const stale = new Date(now - ENQUEUE_STALE_MS).toISOString();
  const rows = await db
    .select({ sync: calendarSyncs })
    .from(calendarSyncs)
    .innerJoin(accounts, eq(accounts.id, calendarSyncs.accountId))
    .where(
      and(
        eq(accounts.status, "connected"),
        or(isNull(calendarSyncs.syncEnqueuedAt), lt(calendarSyncs.syncEnqueuedAt, stale)),
        or(
          lt(sql`coalesce(${calendarSyncs.lastSyncedAt}, ${calendarSyncs.createdAt})`, before),
          gt(calendarSyncs.syncRequestedAt, sql`coalesce(${calendarSyncs.lastSyncedAt}, '')`),
        ),
      ),
    )
    .orderBy(asc(sql`coalesce(${calendarSyncs.lastSyncedAt}, ${calendarSyncs.createdAt})`))
    .limit(limit)
    .all();
  return rows.map((r) => r.sync);
}

/** The calendars an account follows. */
export async function followedCalendars(db: Db, accountId: string): Promise<CalendarSyncRow[]> {
  return db.select().from(calendarSyncs).where(eq(calendarSyncs.accountId, accountId)).all();
}

// ------------------------------------------------------------------------------------------ channels

/** Records a channel before Google is asked to open it: its first (sync) message may beat the answer. */
export async function insertChannel(db: Db, channel: typeof watchChannels.$inferInsert): Promise<void> {
  await db.insert(watchChannels).values(channel);
}

/** Google's answer to events.watch: the watched resource and the real expiry. */
export async function confirmChannel(
  db: Db,
  id: string,
  resourceId: string,
  expiresAt: string,
): Promise<void> {
  await db.update(watchChannels).set({ resourceId, expiresAt }).where(eq(watchChannels.id, id));
}

export async function findChannel(db: Db, id: string): Promise<WatchChannelRow | undefined> {
  return db.select().from(watchChannels).where(eq(watchChannels.id, id)).get();
}

/**
 * Accepts a notification's message number only if it is above every number seen on the channel: a
 * replayed (or older, out-of-order) message changes nothing. False when refused.
 */
export async function acceptMessageNumber(db: Db, id: string, messageNumber: number): Promise<boolean> {
  const res = await db
    .update(watchChannels)
    .set({ lastMessageNumber: messageNumber })
    .where(and(eq(watchChannels.id, id), lt(watchChannels.lastMessageNumber, messageNumber)))
    .run();
  return res.meta.changes === 1;
}

export async function deleteChannel(db: Db, id: string): Promise<void> {
  await db.delete(watchChannels).where(eq(watchChannels.id, id));
}

export async function channelsOfAccount(db: Db, accountId: string): Promise<WatchChannelRow[]> {
  return db.select().from(watchChannels).where(eq(watchChannels.accountId, accountId)).all();
}

/** Channels of connected accounts that expire before `before`, soonest first. */
export async function expiringChannels(db: Db, before: string, limit: number): Promise<WatchChannelRow[]> {
  const rows = await db
    .select({ channel: watchChannels })
    .from(watchChannels)
    .innerJoin(accounts, eq(accounts.id, watchChannels.accountId))
    .where(and(eq(accounts.status, "connected"), lte(watchChannels.expiresAt, before)))
    .orderBy(asc(watchChannels.expiresAt))
    .limit(limit)
    .all();
  return rows.map((r) => r.channel);
}

/** Followed calendars of connected accounts with no channel that is still live after `liveAfter`. */
export async function calendarsWithoutChannel(
  db: Db,
  liveAfter: string,
  limit: number,
): Promise<CalendarSyncRow[]> {
  const rows = await db
    .select({ sync: calendarSyncs })
    .from(calendarSyncs)
    .innerJoin(accounts, eq(accounts.id, calendarSyncs.accountId))
    .where(
      and(
        eq(accounts.status, "connected"),
        sql`NOT EXISTS (SELECT 1 FROM ${watchChannels} WHERE ${watchChannels.accountId} = ${calendarSyncs.accountId} AND ${watchChannels.calendarId} = ${calendarSyncs.calendarId} AND ${watchChannels.expiresAt} > ${liveAfter})`,
      ),
    )
    .limit(limit)
    .all();
  return rows.map((r) => r.sync);
}
