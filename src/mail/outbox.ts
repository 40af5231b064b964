import { and, eq, inArray, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import type { Config } from "../config";
import type { Db } from "../db/client";
import { events, outbox, participants } from "../db/schema";
import { type Sender, sendParticipantMail } from "./mailer";
import { buildMessage } from "./messages";

// Mail leaves through the outbox: rows written with the event change, delivered by the queue consumer,
// re-enqueued by the cron sweep if a message is lost. A row is claimed before sending and marked sent
// after, so no retry mails anyone twice for the same change.

/** A queue message: which outbox row to deliver. */
export interface MailJob {
  outboxId: string;
}

/** Attempts before a row is given up on (then `failed` for good, visible in the event's `emails`). */
export const MAX_MAIL_ATTEMPTS = 6;
/** How long a claim holds a row: a send in progress is not picked up again before this (nor by the sweep). */
const CLAIM_MS = 60_000;
/** How long the sweep leaves a row it re-enqueued before enqueuing it again. */
const SWEEP_LEASE_MS = 5 * 60_000;
/** Rows per sweep statement: D1 binds at most 100 parameters per query. */
const SWEEP_CHUNK = 50;

export interface OutboxDeps {
  config: Config;
  db: Db;
  mailQueue: Queue<MailJob>;
}

export interface DeliveryDeps {
  config: Config;
  db: Db;
  mailer: SendEmail;
}

/**
 * Puts freshly written outbox rows on the mail queue; runs after the response (waitUntil). The ids come
 * from the batch that wrote them, so this costs no D1 read. If it fails, the cron sweep enqueues them.
 */
export async function enqueueMail(deps: OutboxDeps, outboxIds: readonly string[]): Promise<void> {
  if (outboxIds.length === 0) return;
  try {
    await enqueue(deps.mailQueue, [...outboxIds]);
  } catch (err) {
    console.error(
      JSON.stringify({ level: "warn", msg: "mail enqueue failed; the sweep will retry", error: String(err) }),
    );
  }
}

/** Re-enqueues rows that are due and unclaimed: lost messages, expired claims, failed sends awaiting retry. */
export async function sweepOutbox(deps: OutboxDeps, now = Date.now()): Promise<number> {
  // Fresh rows get a minute for their own message to arrive before the sweep duplicates it.
  const due = new Date(now - CLAIM_MS).toISOString();
  const rows = await deps.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      and(
        ne(outbox.status, "sent"),
        lt(outbox.attempts, MAX_MAIL_ATTEMPTS),
        lte(outbox.nextAttemptAt, due),
        unclaimed(now),
      ),
    )
    .limit(500)
    .all();
  // Each re-enqueued row waits SWEEP_LEASE_MS before the sweep sends it again, so a backlog in the queue
  // is not duplicated every minute. A failed send sets its own next attempt.
  const lease = new Date(now + SWEEP_LEASE_MS).toISOString();
  for (let i = 0; i < rows.length; i += SWEEP_CHUNK) {
    const ids = rows.slice(i, i + SWEEP_CHUNK).map((r) => r.id);
    await deps.db
      .update(outbox)
      .set({ nextAttemptAt: lease })
      .where(and(inArray(outbox.id, ids), ne(outbox.status, "sent")));
    await enqueue(deps.mailQueue, ids);
  }
  return rows.length;
}

export type DeliveryOutcome = "sent" | "skipped" | { retryInSeconds: number };

/**
 * Delivers a batch of outbox rows (a queue batch) in three D1 round trips whatever its size: one claim,
 * one read of everything the messages need, one write of every result. Per row: "skipped" when it is
 * already sent or claimed by another delivery (a duplicate message), or when a newer change made it
 * obsolete; a retry delay when the send failed and attempts remain.
 */
export async function deliverOutboxRows(
  deps: DeliveryDeps,
  outboxIds: readonly string[],
  now = Date.now(),
): Promise<Map<string, DeliveryOutcome>> {
  const outcomes = new Map<string, DeliveryOutcome>(outboxIds.map((id) => [id, "skipped"]));
  const ids = [...new Set(outboxIds)];
  if (ids.length === 0) return outcomes;
  // The claim is one conditional UPDATE: of two deliveries of the same row (a duplicate message, the
  // sweep), only one gets it back, so only one sends.
  const claimed = await deps.db
    .update(outbox)
    .set({ attempts: sql`${outbox.attempts} + 1`, claimedUntil: new Date(now + CLAIM_MS).toISOString() })
    .where(
      and(
        inArray(outbox.id, ids),
        ne(outbox.status, "sent"),
        lt(outbox.attempts, MAX_MAIL_ATTEMPTS),
        unclaimed(now),
      ),
    )
    .returning()
    .all();
  if (claimed.length === 0) return outcomes;

  const eventIds = [...new Set(claimed.map((row) => row.eventId))];
  // One round trip for everything the messages need: events, participants, what each recipient already got.
  const [found, people, sent] = await deps.db.batch([
    deps.db.select().from(events).where(inArray(events.id, eventIds)),
    deps.db
      .select({ eventId: participants.eventId, email: participants.email })
      .from(participants)
      .where(inArray(participants.eventId, eventIds))
      .orderBy(participants.eventId, participants.position),
    deps.db
      .select({
        eventId: outbox.eventId,
        recipient: outbox.recipient,
        sequence: sql<number>`max(${outbox.sequence})`,
      })
      .from(outbox)
      .where(and(inArray(outbox.eventId, eventIds), eq(outbox.status, "sent")))
      .groupBy(outbox.eventId, outbox.recipient),
  ]);
  const eventById = new Map(found.map((event) => [event.id, event]));
  const attempts = await Promise.all(
    claimed.map(async (row) => {
      const event = eventById.get(row.eventId);
      if (!event) return { row, result: "skipped" as const };
      const newer = sent.find((s) => s.eventId === row.eventId && s.recipient === row.recipient)?.sequence;
      const obsolete = supersededReason(
        row,
        event.status,
        newer !== undefined && newer > row.sequence ? newer : undefined,
      );
      if (obsolete) return { row, result: { obsolete } };
      try {
        const emails = people.filter((p) => p.eventId === row.eventId).map((p) => p.email);
        await sendOutboxMail(deps, row, event, emails, now);
        return { row, result: "sent" as const };
      } catch (err) {
        return { row, result: { error: describeMailError(err) } };
      }
    }),
  );

  // One round trip for every result. If it fails, the mail that left is not sent again before its claim
  // expires (the sweep then would: the one at-least-once window, as the binding takes no idempotency key).
  const sentAt = new Date().toISOString();
  const writes = attempts.flatMap(({ row, result }) => {
    if (result === "skipped") return [];
    if (result === "sent") {
      outcomes.set(row.id, "sent");
      return [
        deps.db
          .update(outbox)
          .set({ status: "sent", sentAt, lastError: null, claimedUntil: null })
          .where(eq(outbox.id, row.id)),
      ];
    }
    if ("obsolete" in result) {
      return [
        deps.db
          .update(outbox)
          .set({
            status: "failed",
            attempts: MAX_MAIL_ATTEMPTS,
            claimedUntil: null,
            lastError: result.obsolete,
          })
          .where(eq(outbox.id, row.id)),
      ];
    }
    const retryInSeconds = Math.min(3600, 30 * 2 ** (row.attempts - 1));
    console.error(
      JSON.stringify({
        level: "warn",
        msg: "mail send failed",
        outbox_id: row.id,
        attempt: row.attempts,
        error: result.error,
      }),
    );
    outcomes.set(row.id, row.attempts >= MAX_MAIL_ATTEMPTS ? "skipped" : { retryInSeconds });
    return [
      deps.db
        .update(outbox)
        .set({
          status: "failed",
          claimedUntil: null,
          lastError: result.error,
          nextAttemptAt: new Date(now + retryInSeconds * 1000).toISOString(),
        })
        .where(eq(outbox.id, row.id)),
    ];
  });
  const [first, ...rest] = writes;
  if (first) await deps.db.batch([first, ...rest]);
  return outcomes;
}

/** Builds and sends one row's mail: an invitation, an update, a cancellation, or an uninvitation. */
async function sendOutboxMail(
  deps: DeliveryDeps,
  row: typeof outbox.$inferSelect,
  event: typeof events.$inferSelect,
  emails: string[],
  now: number,
): Promise<void> {
  // A cancellation to someone the event still goes on without is an uninvitation (RFC 5546 §3.2.5):
  // it names them as the attendee, so their client removes the event without touching anyone else's.
  const removed = row.kind === "cancelled" && event.status !== "cancelled";
  const message = buildMessage(
    removed ? "removed" : row.kind,
    {
      icalUid: event.icalUid ?? `${event.googleEventId}@google.com`,
      sequence: row.sequence,
      summary: event.summary,
      description: event.description,
      location: event.location,
      startTime: new Date(event.startTime),
      endTime: new Date(event.endTime),
      timeZone: event.timeZone,
      participants: removed ? [row.recipient] : emails,
      htmlLink: event.htmlLink,
      meetUrl: event.meetUrl,
    },
    { email: event.organizerEmail },
    new Date(now),
  );
  await sendParticipantMail(deps.mailer, senderOf(deps.config), row.recipient, event.organizerEmail, message);
}

/** Why a mail should not leave any more (the event was cancelled, or a newer mail already reached them). */
function supersededReason(
  row: typeof outbox.$inferSelect,
  eventStatus: "confirmed" | "cancelled",
  newerSentSequence: number | undefined,
): string | null {
  if (eventStatus === "cancelled" && row.kind !== "cancelled") return "not sent: the event was cancelled";
  return newerSentSequence === undefined
    ? null
    : `not sent: superseded by the mail for change ${newerSentSequence}`;
}

/** Marks rows whose messages exhausted the queue's retries (dead-letter queue). */
export async function markDeadLettered(db: Db, outboxIds: string[]): Promise<void> {
  if (outboxIds.length === 0) return;
  await db
    .update(outbox)
    .set({
      status: "failed",
      attempts: MAX_MAIL_ATTEMPTS,
      lastError: sql`coalesce(${outbox.lastError}, 'gave up after retries')`,
    })
    .where(and(inArray(outbox.id, outboxIds), or(eq(outbox.status, "queued"), eq(outbox.status, "failed"))));
}

function unclaimed(now: number) {
  return or(isNull(outbox.claimedUntil), lt(outbox.claimedUntil, new Date(now).toISOString()));
}

async function enqueue(queue: Queue<MailJob>, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    await queue.sendBatch(ids.slice(i, i + 100).map((outboxId) => ({ body: { outboxId } })));
  }
}

function senderOf(config: Config): Sender {
  if (!config.mailFrom) throw new Error("MAIL_FROM is not set");
  return { email: config.mailFrom, name: config.mailFromName };
}

/** A short, log- and client-safe description of a send failure. */
function describeMailError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/[\r\n\t]+/g, " ").slice(0, 200);
}
