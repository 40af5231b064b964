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
    /** The Google calendar the event lives in: `primary` or a calendar id where the account can write. */
    calendarId: text("calendar_id").notNull().default("primary"),
    icalUid: text("ical_uid"),
    status: text("status", { enum: ["confirmed", "cancelled"] }).notNull(),
    /** Who cancelled it: this API (DELETE) or someone in Google Calendar (seen by the sync). */
    cancelledBy: text("cancelled_by", { enum: ["api", "google"] }),
    summary: text("summary").notNull(),
    description: text("description"),
    location: text("location"),
    startTime: text("start_time").notNull(),
    endTime: text("end_time").notNull(),
    timeZone: text("time_zone").notNull(),
    /**
     * The zone's UTC offset (minutes) at the start and the end, computed when the times were written:
     * reads show times in the event's zone without asking Intl (null on rows written before they existed).
     */
    startOffset: integer("start_offset"),
    endOffset: integer("end_offset"),
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
    /** When the sync last wrote a change made in Google Calendar (times, text, replies, deletion). */
    changedInGoogleAt: text("changed_in_google_at"),
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
    /** The participant's answer as Google reports it (RSVP), kept current by the sync. */
    responseStatus: text("response_status", {
      enum: ["needs_action", "accepted", "declined", "tentative"],
    })
      .notNull()
      .default("needs_action"),
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

/**
 * Connected Google accounts: the authority on a connection's state. KV holds only the (encrypted) tokens;
 * a grant record there is trusted only while this row says `connected` with the same `grantVersion`, so a
 * stale copy in KV (eventually consistent) can never bring a disconnected account back.
 */
export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  email: text("email").notNull(),
  status: text("status", { enum: ["connected", "reauthorization_required", "disconnected"] }).notNull(),
  /** +1 on every consent; the KV grant record carries the version it was written for. */
  grantVersion: integer("grant_version").notNull(),
  /** Granted scopes (JSON array), as Google reported them at consent or refresh. */
  scopes: text("scopes").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/**
 * Incremental sync state per watched calendar. `syncRequestedAt`/`syncEnqueuedAt` coalesce notifications
 * (one queued sync per burst); `leaseUntil` keeps two syncs of one calendar from running at once.
 */
export const calendarSyncs = sqliteTable(
  "calendar_syncs",
  {
    accountId: text("account_id").notNull(),
    calendarId: text("calendar_id").notNull(),
    syncToken: text("sync_token"),
    lastSyncedAt: text("last_synced_at"),
    syncRequestedAt: text("sync_requested_at"),
    /** Set when a sync message is on the queue; cleared when a sync claims it. */
    syncEnqueuedAt: text("sync_enqueued_at"),
    leaseUntil: text("lease_until"),
    lastError: text("last_error"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.calendarId] }),
    index("calendar_syncs_due").on(t.lastSyncedAt),
  ],
);

/**
 * Google push channels (events.watch). The channel token is kept only as a SHA-256 hash; notifications
 * are accepted only with a message number above the highest one seen (no replays).
 */
export const watchChannels = sqliteTable(
  "watch_channels",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    calendarId: text("calendar_id").notNull(),
    /** Google's id of the watched resource; null until events.watch answered. */
    resourceId: text("resource_id"),
    tokenHash: text("token_hash").notNull(),
    expiresAt: text("expires_at").notNull(),
    lastMessageNumber: integer("last_message_number").notNull().default(0),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("watch_channels_account").on(t.accountId, t.calendarId),
    index("watch_channels_expiry").on(t.expiresAt),
  ],
);

/** The client app's webhook endpoints. The signing secret is stored AES-GCM encrypted, shown once. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    url: text("url").notNull(),
    /** JSON array of the event types this endpoint receives. */
    eventTypes: text("event_types").notNull(),
    /** JSON `Sealed` (AES-GCM under TOKEN_ENCRYPTION_KEY, bound to the endpoint id) of the secret. */
    secret: text("secret").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("webhook_endpoints_account").on(t.accountId, t.createdAt)],
);

/**
 * Outgoing webhooks to send, one row per endpoint per change, written in the same batch as the change.
 * `messageId` is the body's `id` and the `webhook-id` header: the same on every retry, and unique per
 * endpoint, so the same change is never queued twice.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    accountId: text("account_id").notNull(),
    messageId: text("message_id").notNull(),
    type: text("type").notNull(),
    /** The JSON body, fixed when the change happened: every attempt sends the same bytes. */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["queued", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    nextAttemptAt: text("next_attempt_at").notNull(),
    claimedUntil: text("claimed_until"),
    createdAt: text("created_at").notNull(),
    deliveredAt: text("delivered_at"),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_message").on(t.endpointId, t.messageId),
    index("webhook_deliveries_due").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_endpoint").on(t.endpointId, t.createdAt),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type CalendarSyncRow = typeof calendarSyncs.$inferSelect;
export type WatchChannelRow = typeof watchChannels.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
