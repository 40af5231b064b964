import {
  and,
  asc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNotNull,
  lt,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { type EventRow, events, outbox, participants } from "../db/schema";
import { type WebhookAnnouncements, webhookDeliveryIds } from "../webhooks/fan-out";
import type { Attendee, EmailStatus, EventView, EventViewRow, StoredEvent } from "./event-model";

// Every D1 query of the events resource. Multi-row writes go through db.batch: D1's only atomic write.

export type NewEventRow = typeof events.$inferInsert;
export type NewOutboxRow = typeof outbox.$inferInsert;

/** Fields that change when Google confirms a write. */
export interface GoogleFields {
  icalUid: string | null;
  htmlLink: string | null;
  meetUrl: string | null;
  etag: string | null;
  sequence: number;
}

/** Writes the intent to create: the row (pending) and its participants, atomically. */
export async function insertIntent(db: Db, row: NewEventRow, emails: string[]): Promise<void> {
  await db.batch([
    db.insert(events).values(row),
    ...participantInserts(
      db,
      row.id,
      emails.map((email) => ({ email, responseStatus: "needs_action" as const })),
    ),
  ]);
}

export async function findByIdempotencyKey(
  db: Db,
  accountId: string,
  key: string,
): Promise<EventRow | undefined> {
  return db
    .select()
    .from(events)
    .where(and(eq(events.accountId, accountId), eq(events.idempotencyKey, key)))
    .get();
}

/** The caller's event with participants and mail states; undefined for another account's or unknown id. */
export async function findEvent(db: Db, accountId: string, id: string): Promise<StoredEvent | undefined> {
  const row = await selectWithDetails(db)
    .where(and(eq(events.id, id), eq(events.accountId, accountId)))
    .get();
  return row ? toStoredEvent(row) : undefined;
}

export async function findEventById(db: Db, id: string): Promise<StoredEvent | undefined> {
  const row = await selectWithDetails(db).where(eq(events.id, id)).get();
  return row ? toStoredEvent(row) : undefined;
}

/** One page of the caller's visible events, ordered by start then id (keyset). */
export async function listEvents(
  db: Db,
  accountId: string,
  options: {
    limit: number;
    after?: { start: string; id: string };
    from?: string;
    to?: string;
    calendarId?: string;
  },
): Promise<EventView[]> {
  const conditions = [
    eq(events.accountId, accountId),
    or(sql`${events.pendingOp} IS NULL`, sql`${events.pendingOp} NOT IN ('create', 'abandon')`),
  ];
  if (options.calendarId) conditions.push(eq(events.calendarId, options.calendarId));
  if (options.from) conditions.push(gte(events.startTime, options.from));
  if (options.to) conditions.push(lt(events.startTime, options.to));
  if (options.after) {
    const { start, id } = options.after;
    conditions.push(or(gt(events.startTime, start), and(eq(events.startTime, start), gt(events.id, id))));
  }
  // Only the columns the answer shows: lists are the most frequent read.
  const rows = await db
    .select({ ...VIEW_COLUMNS, attendeesJson, emailsJson })
    .from(events)
    .where(and(...conditions))
    .orderBy(asc(events.startTime), asc(events.id))
    .limit(options.limit)
    .all();
  return rows.map(toEventView);
}

/** What a completion wrote: when (the row's `updated_at`), and the webhook deliveries it queued. */
export interface Completion {
  updatedAt: string;
  webhookIds: string[];
}

/** Completes a create: Google's fields on the row, intent cleared, mail and webhooks queued — one batch. */
export async function completeCreate(
  db: Db,
  id: string,
  google: GoogleFields,
  mail: NewOutboxRow[],
  announce?: WebhookAnnouncements,
): Promise<Completion> {
  const now = announce?.at ?? new Date().toISOString();
  const webhooks = announce?.webhooks ?? [];
  const results = await db.batch([
    db
      .update(events)
      .set({ ...google, pendingOp: null, pendingPayload: null, pendingSince: null, updatedAt: now })
      .where(eq(events.id, id)),
    ...outboxInserts(db, mail),
    ...webhooks,
  ]);
  return { updatedAt: now, webhookIds: webhookDeliveryIds(results.slice(results.length - webhooks.length)) };
}

/**
 * Writes a created event in one batch: the row (settled), its participants, its mail and its webhooks.
 * The row's unique Google id keeps a second write of the same event out.
 */
export async function insertCreated(
  db: Db,
  row: NewEventRow,
  emails: string[],
  mail: NewOutboxRow[],
  announce: WebhookAnnouncements,
): Promise<Completion> {
  const results = await db.batch([
    db.insert(events).values(row),
    ...participantInserts(
      db,
      row.id,
      emails.map((email) => ({ email, responseStatus: "needs_action" as const })),
    ),
    ...outboxInserts(db, mail),
    ...announce.webhooks,
  ]);
  return {
    updatedAt: row.updatedAt ?? announce.at,
    webhookIds: webhookDeliveryIds(results.slice(results.length - announce.webhooks.length)),
  };
}

/**
 * Records a Google event this service must make sure is gone (a create that failed past Google, or one
 * the sync found without its row): the reconciler cancels it at Google and drops the row. Never replaces
 * a row that exists.
 */
export async function insertAbandoned(db: Db, row: NewEventRow & { pendingOp: "abandon" }): Promise<void> {
  await db.insert(events).values(row).onConflictDoNothing();
}

/** Removes an intent that never reached (or was undone at) Google. */
export async function deleteIntent(db: Db, id: string): Promise<void> {
  await db.delete(events).where(eq(events.id, id));
}

/**
 * Marks a row as having a Google write in flight. Conditional on the sequence read and on no other write
 * being in flight, so two concurrent changes cannot both proceed. False when the condition failed.
 */
export async function markPending(
  db: Db,
  id: string,
  op: "update" | "cancel" | "abandon",
  payload: string | null,
  expectedSequence: number,
  /** Only if no other row of the account holds any part of this slot (an `if_free` reschedule). */
  freeSlot?: { accountId: string; start: string; end: string },
): Promise<boolean> {
  const now = new Date().toISOString();
  const res = await db
    .update(events)
    .set({ pendingOp: op, pendingPayload: payload, pendingSince: now })
    .where(
      and(
        eq(events.id, id),
        eq(events.sequence, expectedSequence),
        op === "abandon" ? eq(events.pendingOp, "create") : sql`${events.pendingOp} IS NULL`,
        freeSlot
          ? sql`NOT EXISTS (SELECT 1 FROM ${events} WHERE ${holdsSlot(freeSlot.accountId, freeSlot.start, freeSlot.end, id)})`
          : undefined,
      ),
    )
    .run();
  return res.meta.changes === 1;
}

export async function clearPending(db: Db, id: string): Promise<void> {
  await db
    .update(events)
    .set({ pendingOp: null, pendingPayload: null, pendingSince: null })
    .where(eq(events.id, id));
}

/**
 * Completes an update: new fields and participants (answers kept), intent cleared, mail and webhooks
 * queued — one batch.
 */
export async function completeUpdate(
  db: Db,
  id: string,
  fields: Partial<NewEventRow> & GoogleFields,
  attendees: readonly Attendee[],
  mail: NewOutboxRow[],
  announce?: WebhookAnnouncements,
): Promise<Completion> {
  const now = announce?.at ?? new Date().toISOString();
  const webhooks = announce?.webhooks ?? [];
  const results = await db.batch([
    db
      .update(events)
      .set({ ...fields, pendingOp: null, pendingPayload: null, pendingSince: null, updatedAt: now })
      .where(eq(events.id, id)),
    db.delete(participants).where(eq(participants.eventId, id)),
    ...participantInserts(db, id, attendees),
    ...outboxInserts(db, mail),
    ...webhooks,
  ]);
  return { updatedAt: now, webhookIds: webhookDeliveryIds(results.slice(results.length - webhooks.length)) };
}

/** Completes a cancellation: status, sequence, intent cleared, mail and webhooks queued — one batch. */
export async function completeCancel(
  db: Db,
  id: string,
  sequence: number,
  mail: NewOutboxRow[],
  announce?: WebhookAnnouncements,
  /** Who cancelled: this API, or someone in Google Calendar (found while writing to Google). */
  by: "api" | "google" = "api",
): Promise<Completion> {
  const now = announce?.at ?? new Date().toISOString();
  const webhooks = announce?.webhooks ?? [];
  const results = await db.batch([
    db
      .update(events)
      .set({
        status: "cancelled",
        cancelledBy: by,
        ...(by === "google" ? { changedInGoogleAt: now } : {}),
        sequence,
        pendingOp: null,
        pendingPayload: null,
        pendingSince: null,
        updatedAt: now,
      })
      .where(eq(events.id, id)),
    ...outboxInserts(db, mail),
    ...webhooks,
  ]);
  return { updatedAt: now, webhookIds: webhookDeliveryIds(results.slice(results.length - webhooks.length)) };
}

/** Intents older than `before` (ISO time): what a crash or a failed compensation left behind. */
export async function findStalePending(db: Db, before: string, limit: number): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(and(isNotNull(events.pendingOp), lt(events.pendingSince, before)))
    .orderBy(asc(events.pendingSince))
    .limit(limit)
    .all();
}

// D1 binds at most 100 parameters per statement: multi-row inserts go in chunks that stay under it.
const PARTICIPANTS_PER_STATEMENT = 25; // 4 parameters a row
const MAIL_PER_STATEMENT = 11; // 9 parameters a row

function outboxInserts(db: Db, mail: NewOutboxRow[]) {
  // The unique (event, sequence, recipient, kind) makes a repeated completion queue nothing twice.
  return chunks(mail, MAIL_PER_STATEMENT).map((rows) => db.insert(outbox).values(rows).onConflictDoNothing());
}

function participantInserts(db: Db, eventId: string, attendees: readonly Attendee[]) {
  const rows = attendees.map((a, position) => ({
    eventId,
    email: a.email,
    position,
    responseStatus: a.responseStatus,
  }));
  return chunks(rows, PARTICIPANTS_PER_STATEMENT).map((chunk) => db.insert(participants).values(chunk));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// An event with its participants and mail states in one query (one D1 round trip): correlated
// subqueries aggregate the child rows as JSON arrays, in their display order. The outer column is named
// with its table: drizzle writes a bare "id" here, which inside the outbox subquery would mean outbox.id.
const EVENT_ID = sql.raw('"events"."id"');
const attendeesJson = sql<string>`(SELECT json_group_array(json_object('email', email, 'responseStatus', response_status)) FROM (SELECT email, response_status FROM participants WHERE event_id = ${EVENT_ID} ORDER BY position))`;
const emailsJson = sql<string>`(SELECT json_group_array(json_object('to', recipient, 'kind', kind, 'status', status, 'attempts', attempts, 'lastError', last_error, 'sequence', sequence)) FROM (SELECT * FROM outbox WHERE event_id = ${EVENT_ID} ORDER BY sequence, created_at))`;

function selectWithDetails(db: Db) {
  return db
    .select({ ...getTableColumns(events), attendeesJson, emailsJson })
    .from(events)
    .$dynamic();
}

function toStoredEvent(result: EventRow & { attendeesJson: string; emailsJson: string }): StoredEvent {
  return toEventView(result) as StoredEvent;
}

function toEventView<R extends EventViewRow>(
  result: R & { attendeesJson: string; emailsJson: string },
): EventView & { row: R } {
  const { attendeesJson: people, emailsJson: mail, ...row } = result;
  const attendees = JSON.parse(people) as Attendee[];
  return {
    row: row as unknown as R,
    participants: attendees.map((a) => a.email),
    attendees,
    emails: JSON.parse(mail) as EmailStatus[],
  };
}

const VIEW_COLUMNS = {
  id: events.id,
  googleEventId: events.googleEventId,
  calendarId: events.calendarId,
  icalUid: events.icalUid,
  status: events.status,
  cancelledBy: events.cancelledBy,
  summary: events.summary,
  description: events.description,
  location: events.location,
  startTime: events.startTime,
  endTime: events.endTime,
  timeZone: events.timeZone,
  startOffset: events.startOffset,
  endOffset: events.endOffset,
  htmlLink: events.htmlLink,
  meetUrl: events.meetUrl,
  changedInGoogleAt: events.changedInGoogleAt,
  createdAt: events.createdAt,
  updatedAt: events.updatedAt,
} satisfies Record<keyof EventViewRow, unknown>;

/** The account's events on one calendar with these Google ids, with details (for the Google sync). */
export async function findByGoogleIds(
  db: Db,
  accountId: string,
  calendarId: string,
  googleEventIds: readonly string[],
): Promise<StoredEvent[]> {
  const found: StoredEvent[] = [];
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < googleEventIds.length; i += 90) {
    const rows = await selectWithDetails(db)
      .where(
        and(
          eq(events.accountId, accountId),
          eq(events.calendarId, calendarId),
          inArray(events.googleEventId, googleEventIds.slice(i, i + 90)),
        ),
      )
      .all();
    found.push(...rows.map(toStoredEvent));
  }
  return found;
}

/** An interval a row of the account holds, for free/busy and booking conflicts. */
export interface HeldInterval {
  eventId: string;
  calendarId: string;
  start: string;
  end: string;
  /** True while the write that put it there is still in flight (not yet confirmed by Google). */
  inFlight: boolean;
}

// A row holds its slot while it is confirmed and not being rolled back (`abandon`); a pending update also
// holds the slot it is moving to. ISO strings from toISOString() compare like the instants they name.
function holdsSlot(accountId: string, start: string, end: string, excludeId?: string) {
  const pendingStart = sql`json_extract(${events.pendingPayload}, '$.start')`;
  const pendingEnd = sql`json_extract(${events.pendingPayload}, '$.end')`;
  return and(
    eq(events.accountId, accountId),
    eq(events.status, "confirmed"),
    or(sql`${events.pendingOp} IS NULL`, sql`${events.pendingOp} <> 'abandon'`),
    excludeId ? sql`${events.id} <> ${excludeId}` : undefined,
    or(
      and(lt(events.startTime, end), gt(events.endTime, start)),
      and(eq(events.pendingOp, "update"), sql`${pendingStart} < ${end}`, sql`${pendingEnd} > ${start}`),
    ),
  );
}

/** The account's rows holding any part of [start, end) (ISO instants), except `excludeId`. */
export async function findHeldIntervals(
  db: Db,
  accountId: string,
  window: { start: string; end: string },
  excludeId?: string,
): Promise<HeldInterval[]> {
  const rows = await db
    .select({
      id: events.id,
      calendarId: events.calendarId,
      startTime: events.startTime,
      endTime: events.endTime,
      pendingOp: events.pendingOp,
      pendingPayload: events.pendingPayload,
    })
    .from(events)
    .where(holdsSlot(accountId, window.start, window.end, excludeId))
    .orderBy(asc(events.startTime))
    .limit(500)
    .all();
  return rows.flatMap((row) => {
    const held: HeldInterval[] = [
      {
        eventId: row.id,
        calendarId: row.calendarId,
        start: row.startTime,
        end: row.endTime,
        inFlight: row.pendingOp === "create",
      },
    ];
    if (row.pendingOp === "update" && row.pendingPayload) {
      const next = JSON.parse(row.pendingPayload) as { start: string; end: string };
      held.push({
        eventId: row.id,
        calendarId: row.calendarId,
        start: next.start,
        end: next.end,
        inFlight: true,
      });
    }
    return held.filter((h) => h.start < window.end && h.end > window.start);
  });
}

/**
 * Writes the intent to create only if no row of the account holds any part of its slot: one INSERT …
 * SELECT … WHERE NOT EXISTS, which D1 runs atomically, so of concurrent bookings of overlapping slots
 * exactly one gets its row. The participants follow in the same batch, only if the row was written.
 * False when the slot was taken.
 */
export async function insertIntentIfFree(db: Db, row: NewEventRow, emails: string[]): Promise<boolean> {
  const columns = Object.entries(getTableColumns(events));
  const values = row as Record<string, unknown>;
  const intent = sql`INSERT INTO ${events} (${sql.join(
    columns.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  )}) SELECT ${sql.join(
    columns.map(([key]) => sql`${values[key] ?? null}`),
    sql`, `,
  )} WHERE NOT EXISTS (SELECT 1 FROM ${events} WHERE ${holdsSlot(row.accountId, row.startTime, row.endTime)})`;
  const people = sql`INSERT INTO ${participants} (event_id, email, position, response_status)
    SELECT ${row.id}, value, key, 'needs_action' FROM json_each(${JSON.stringify(emails)})
    WHERE EXISTS (SELECT 1 FROM ${events} WHERE ${events.id} = ${row.id})`;
  // Raw SQL with parameters cannot go through drizzle's D1 batch: the statements go to D1 directly.
  const [written] = await db.$client.batch([prepare(db, intent), prepare(db, people)]);
  return written?.meta.changes === 1;
}

const dialect = new SQLiteAsyncDialect();

/** A drizzle `sql` template as a bound D1 statement. */
function prepare(db: Db, query: SQL): D1PreparedStatement {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return db.$client.prepare(text).bind(...params);
}
