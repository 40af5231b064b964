import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { events, participants } from "../db/schema";
import { toEventJson } from "../events/event-json";
import type { StoredEvent } from "../events/event-model";
import { findByGoogleIds, insertAbandoned } from "../events/events-repo";
import { OWNER_PROPERTY } from "../events/google-mapping";
import type { GoogleEvent } from "../google/calendar";
import { fanOutWebhook, type WebhookMessage, webhookMessageId } from "../webhooks/fan-out";
import { diffGoogleEvent, type GoogleChange, isEmptyChange } from "./google-diff";

// Writes to D1 what changed in Google Calendar for events this service owns, with the webhooks that
// announce it, one atomic batch per event. Events it does not own are ignored.

/** What applying one page of Google's changes did. */
export interface AppliedChanges {
  /** Owned events whose Google copy differed and was written. */
  applied: number;
  /** An owned event had a write of this service in flight: the page must be seen again later. */
  blocked: boolean;
  /** Webhook deliveries queued by the batches, for the caller to enqueue. */
  webhookIds: string[];
  /** Events of this service found without a row, handed to the reconciler. */
  orphans: number;
}

/** Every id this service gives a Google event starts with this (idempotency.ts): others are not ours. */
const OWN_ID_PREFIX = "ce";

/**
 * Applies one page of Google events to the account's owned events on that calendar. An event that
 * carries this service's marker but has no row (its create died between Google and D1) is handed to the
 * reconciler, which removes it from Google: an event is in both stores or in neither.
 */
export async function applyGoogleChanges(
  db: Db,
  account: { id: string; email: string },
  calendarId: string,
  items: readonly GoogleEvent[],
  now = new Date(),
): Promise<AppliedChanges> {
  const accountId = account.id;
  const result: AppliedChanges = { applied: 0, blocked: false, webhookIds: [], orphans: 0 };
  const candidates = items.filter((item) => item.id.startsWith(OWN_ID_PREFIX));
  if (candidates.length === 0) return result;
  const owned = await findByGoogleIds(
    db,
    accountId,
    calendarId,
    candidates.map((item) => item.id),
  );
  const byGoogleId = new Map(owned.map((event) => [event.row.googleEventId, event]));
  for (const google of candidates) {
    const stored = byGoogleId.get(google.id);
    if (!stored) {
      if (await abandonOrphan(db, account, calendarId, google, now)) result.orphans++;
      continue;
    }
    if (stored.row.pendingOp) {
      // Our own write is in flight: judging Google's copy now could take it for someone else's change.
      result.blocked = true;
      continue;
    }
    const change = diffGoogleEvent(stored.row, stored.attendees, google);
    const outcome = await writeChange(db, stored, google, change, now);
    if (outcome === "conflict") {
      result.blocked = true;
    } else {
      if (!isEmptyChange(change)) result.applied++;
      result.webhookIds.push(...outcome);
    }
  }
  return result;
}

/**
 * One event's change as one batch: the row (only if it is still the version that was compared, and no
 * write of ours started meanwhile), the answers, and the webhooks, which are written only if the row was.
 * Returns the webhook delivery ids, or "conflict" when the row moved on (the sync must look again).
 */
async function writeChange(
  db: Db,
  stored: StoredEvent,
  google: GoogleEvent,
  change: GoogleChange,
  now: Date,
): Promise<string[] | "conflict"> {
  const { row } = stored;
  // A cancelled event is over for this service: whatever Google does with it later is not written back.
  if (row.status === "cancelled") return [];
  const etag = google.etag ?? null;
  // Our SEQUENCE only moves forward (invitations must supersede earlier ones), whatever Google reports.
  const sequence = Math.max(row.sequence, google.sequence ?? 0);
  if (isEmptyChange(change) && etag === row.etag && sequence === row.sequence) return [];

  const at = now.toISOString();
  const changed = !isEmptyChange(change);
  const rowChanges = {
    ...change.fields,
    ...(change.cancelled ? { status: "cancelled" as const, cancelledBy: "google" as const } : {}),
    etag,
    sequence,
    ...(changed ? { changedInGoogleAt: at, updatedAt: at } : {}),
  };
  const updateRow = db
    .update(events)
    .set(rowChanges)
    .where(
      and(
        eq(events.id, row.id),
        row.etag === null ? sql`${events.etag} IS NULL` : eq(events.etag, row.etag),
        sql`${events.pendingOp} IS NULL`,
      ),
    );
  // True once the row above was written (or already carried this version of Google's copy).
  const written = sql`EXISTS (SELECT 1 FROM ${events} WHERE ${events.id} = ${row.id} AND ${events.etag} IS ${etag} AND ${events.pendingOp} IS NULL)`;

  const after: StoredEvent = {
    ...stored,
    row: { ...row, ...rowChanges },
    attendees: stored.attendees.map((a) => {
      const answer = change.responses.find((r) => r.email === a.email);
      return answer ? { ...a, responseStatus: answer.to } : a;
    }),
  };
  const messages = await webhooksFor(after, change, etag ?? at, at);
  const statements = [
    ...change.responses.map((answer) =>
      db
        .update(participants)
        .set({ responseStatus: answer.to })
        .where(and(eq(participants.eventId, row.id), eq(participants.email, answer.email), written)),
    ),
    ...messages.map((message) => fanOutWebhook(db, row.accountId, message, { onlyIf: written })),
  ];
  const results = await db.batch([updateRow, ...statements]);
  if (results[0].meta.changes !== 1) return "conflict";
  return results.slice(1 + change.responses.length).flatMap((r) => (r as { id: string }[]).map((d) => d.id));
}

/** The webhooks announcing a change; ids derive from the event and Google's version, so a retry repeats none. */
async function webhooksFor(
  event: StoredEvent,
  change: GoogleChange,
  version: string,
  at: string,
): Promise<WebhookMessage[]> {
  const json = toEventJson(event);
  const id = event.row.id;
  const messages: WebhookMessage[] = [];
  if (change.cancelled) {
    messages.push({
      type: "event.cancelled",
      messageId: await webhookMessageId(["event.cancelled", id]),
      createdAt: at,
      data: { event: json },
    });
    return messages;
  }
  if (Object.keys(change.fields).length > 0) {
    messages.push({
      type: "event.updated",
      messageId: await webhookMessageId(["event.updated", id, "google", version]),
      createdAt: at,
      data: { event: json },
    });
  }
  for (const answer of change.responses) {
    messages.push({
      type: "attendee.responded",
      messageId: await webhookMessageId(["attendee.responded", id, answer.email, answer.to, version]),
      createdAt: at,
      data: {
        event: json,
        attendee: { email: answer.email, response_status: answer.to, previous_response_status: answer.from },
      },
    });
  }
  return messages;
}

/**
 * Hands a marked Google event without a row to the reconciler: an `abandon` row (the marker's row id, so
 * a create still about to write its row fails on it and cancels the event itself). The reconciler cancels
 * the event at Google once the row is two minutes old. False for events that are not orphans.
 */
async function abandonOrphan(
  db: Db,
  account: { id: string; email: string },
  calendarId: string,
  google: GoogleEvent,
  now: Date,
): Promise<boolean> {
  const rowId = google.extendedProperties?.private?.[OWNER_PROPERTY];
  if (!rowId || google.status === "cancelled") return false;
  const at = now.toISOString();
  const start = google.start?.dateTime ? Date.parse(google.start.dateTime) : Number.NaN;
  const end = google.end?.dateTime ? Date.parse(google.end.dateTime) : Number.NaN;
  await insertAbandoned(db, {
    id: rowId,
    accountId: account.id,
    organizerEmail: account.email,
    googleEventId: google.id,
    calendarId,
    status: "confirmed",
    summary: google.summary ?? "",
    startTime: new Date(Number.isNaN(start) ? now.getTime() : start).toISOString(),
    endTime: new Date(Number.isNaN(end) ? now.getTime() : end).toISOString(),
    timeZone: google.start?.timeZone ?? "UTC",
    sequence: google.sequence ?? 0,
    pendingOp: "abandon",
    pendingSince: at,
    createdAt: at,
    updatedAt: at,
  });
  console.error(
    JSON.stringify({
      level: "warn",
      msg: "orphan Google event handed to the reconciler",
      google_event_id: google.id,
    }),
  );
  return true;
}
