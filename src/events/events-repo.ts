import { and, asc, eq, getTableColumns, gt, gte, isNotNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type EventRow, events, outbox, participants } from "../db/schema";
import type { EmailStatus, StoredEvent } from "./event-model";

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
    db.insert(participants).values(emails.map((email, position) => ({ eventId: row.id, email, position }))),
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
  options: { limit: number; after?: { start: string; id: string }; from?: string; to?: string },
): Promise<StoredEvent[]> {
  const conditions = [
    eq(events.accountId, accountId),
    or(sql`${events.pendingOp} IS NULL`, sql`${events.pendingOp} NOT IN ('create', 'abandon')`),
  ];
  if (options.from) conditions.push(gte(events.startTime, options.from));
  if (options.to) conditions.push(lt(events.startTime, options.to));
  if (options.after) {
    const { start, id } = options.after;
    conditions.push(or(gt(events.startTime, start), and(eq(events.startTime, start), gt(events.id, id))));
  }
  const rows = await selectWithDetails(db)
    .where(and(...conditions))
    .orderBy(asc(events.startTime), asc(events.id))
    .limit(options.limit)
    .all();
  return rows.map(toStoredEvent);
}

/** Completes a create: Google's fields on the row, intent cleared, mail queued — one batch. Returns when. */
export async function completeCreate(
  db: Db,
  id: string,
  google: GoogleFields,
  mail: NewOutboxRow[],
): Promise<string> {
  const now = new Date().toISOString();
  await db.batch([
    db
      .update(events)
      .set({ ...google, pendingOp: null, pendingPayload: null, pendingSince: null, updatedAt: now })
      .where(eq(events.id, id)),
    ...outboxInserts(db, mail),
  ]);
  return now;
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

/** Completes an update: new fields and participants, intent cleared, mail queued — one batch. */
export async function completeUpdate(
  db: Db,
  id: string,
  fields: Partial<NewEventRow> & GoogleFields,
  emails: string[],
  mail: NewOutboxRow[],
): Promise<string> {
  const now = new Date().toISOString();
  await db.batch([
    db
      .update(events)
      .set({ ...fields, pendingOp: null, pendingPayload: null, pendingSince: null, updatedAt: now })
      .where(eq(events.id, id)),
    db.delete(participants).where(eq(participants.eventId, id)),
    db.insert(participants).values(emails.map((email, position) => ({ eventId: id, email, position }))),
    ...outboxInserts(db, mail),
  ]);
  return now;
}

/** Completes a cancellation: status, sequence, intent cleared, mail queued — one batch. */
export async function completeCancel(
  db: Db,
  id: string,
  sequence: number,
  mail: NewOutboxRow[],
): Promise<string> {
  const now = new Date().toISOString();
  await db.batch([
    db
      .update(events)
      .set({
        status: "cancelled",
        sequence,
        pendingOp: null,
        pendingPayload: null,
        pendingSince: null,
        updatedAt: now,
      })
      .where(eq(events.id, id)),
    ...outboxInserts(db, mail),
  ]);
  return now;
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

function outboxInserts(db: Db, mail: NewOutboxRow[]) {
  // The unique (event, sequence, recipient, kind) makes a repeated completion queue nothing twice.
  return mail.map((m) => db.insert(outbox).values(m).onConflictDoNothing());
}

// An event with its participants and mail states in one query (one D1 round trip): correlated
// subqueries aggregate the child rows as JSON arrays, in their display order. The outer column is named
// with its table: drizzle writes a bare "id" here, which inside the outbox subquery would mean outbox.id.
const EVENT_ID = sql.raw('"events"."id"');
const participantsJson = sql<string>`(SELECT json_group_array(email) FROM (SELECT email FROM participants WHERE event_id = ${EVENT_ID} ORDER BY position))`;
const emailsJson = sql<string>`(SELECT json_group_array(json_object('to', recipient, 'kind', kind, 'status', status, 'attempts', attempts, 'lastError', last_error, 'sequence', sequence)) FROM (SELECT * FROM outbox WHERE event_id = ${EVENT_ID} ORDER BY sequence, created_at))`;

function selectWithDetails(db: Db) {
  return db
    .select({ ...getTableColumns(events), participantsJson, emailsJson })
    .from(events)
    .$dynamic();
}

function toStoredEvent(result: EventRow & { participantsJson: string; emailsJson: string }): StoredEvent {
  const { participantsJson: people, emailsJson: mail, ...row } = result;
  return { row, participants: JSON.parse(people) as string[], emails: JSON.parse(mail) as EmailStatus[] };
}
