import { and, asc, eq, gt, gte, inArray, isNotNull, lt, or, sql } from "drizzle-orm";
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
  const row = await db
    .select()
    .from(events)
    .where(and(eq(events.id, id), eq(events.accountId, accountId)))
    .get();
  if (!row) return undefined;
  return (await withDetails(db, [row]))[0];
}

export async function findEventById(db: Db, id: string): Promise<StoredEvent | undefined> {
  const row = await db.select().from(events).where(eq(events.id, id)).get();
  return row ? (await withDetails(db, [row]))[0] : undefined;
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
  const rows = await db
    .select()
    .from(events)
    .where(and(...conditions))
    .orderBy(asc(events.startTime), asc(events.id))
    .limit(options.limit)
    .all();
  return withDetails(db, rows);
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

async function withDetails(db: Db, rows: EventRow[]): Promise<StoredEvent[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [people, mail] = await db.batch([
    db
      .select()
      .from(participants)
      .where(inArray(participants.eventId, ids))
      .orderBy(asc(participants.position)),
    db
      .select()
      .from(outbox)
      .where(inArray(outbox.eventId, ids))
      .orderBy(asc(outbox.sequence), asc(outbox.createdAt)),
  ]);
  return rows.map((row) => ({
    row,
    participants: people.filter((p) => p.eventId === row.id).map((p) => p.email),
    emails: mail
      .filter((m) => m.eventId === row.id)
      .map(
        (m): EmailStatus => ({
          to: m.recipient,
          kind: m.kind,
          status: m.status,
          attempts: m.attempts,
          lastError: m.lastError,
          sequence: m.sequence,
        }),
      ),
  }));
}
