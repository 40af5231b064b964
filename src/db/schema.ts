import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * One row per booking. A row with `pendingOp` set is an intent: written before Google is called and
 * completed (or rolled back) after, by the request or, if it died, by the reconciler. API reads hide
 * rows whose create is still pending.
 */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    /** The connected Google account's address: the ORGANIZER of the invitations. */
    organizerEmail: text("organizer_email").notNull(),
    googleEventId: text("google_event_id").notNull(),
    icalUid: text("ical_uid"),
    status: text("status", { enum: ["confirmed", "cancelled"] }).notNull(),
    summary: text("summary").notNull(),
    description: text("description"),
    location: text("location"),
    startTime: text("start_time").notNull(),
    endTime: text("end_time").notNull(),
    timeZone: text("time_zone").notNull(),
    conference: text("conference", { enum: ["google_meet"] }),
    htmlLink: text("html_link"),
    meetUrl: text("meet_url"),
    etag: text("etag"),
    /** iCalendar SEQUENCE, kept equal to Google's: +1 on every reschedule or cancellation. */
    sequence: integer("sequence").notNull().default(0),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    pendingOp: text("pending_op", { enum: ["create", "abandon", "update", "cancel"] }),
    /** For a pending update: the event as it should become (JSON). */
    pendingPayload: text("pending_payload"),
    pendingSince: text("pending_since"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("events_account_google_id").on(t.accountId, t.googleEventId),
    uniqueIndex("events_account_idempotency_key").on(t.accountId, t.idempotencyKey),
    index("events_account_start").on(t.accountId, t.startTime, t.id),
    index("events_pending").on(t.pendingSince).where(sql`${t.pendingOp} IS NOT NULL`),
  ],
);

export const participants = sqliteTable(
  "participants",
  {
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    position: integer("position").notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.email] })],
);

/**
 * Mail to send, one row per recipient per change, written in the same batch as the change. The unique
 * (event, sequence, recipient, kind) is what keeps a retry from mailing anyone twice.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    recipient: text("recipient").notNull(),
    kind: text("kind", { enum: ["created", "updated", "cancelled"] }).notNull(),
    sequence: integer("sequence").notNull(),
    status: text("status", { enum: ["queued", "sent", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** When the sweep may enqueue this row again (after a failure, or if its message was lost). */
    nextAttemptAt: text("next_attempt_at").notNull(),
    /** Set while a delivery holds the row, so a duplicate message cannot send it concurrently. */
    claimedUntil: text("claimed_until"),
    createdAt: text("created_at").notNull(),
    sentAt: text("sent_at"),
  },
  (t) => [
    uniqueIndex("outbox_change_recipient").on(t.eventId, t.sequence, t.recipient, t.kind),
    index("outbox_due").on(t.status, t.nextAttemptAt),
    index("outbox_event").on(t.eventId),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
