import type { EmailStatus } from "../events/event-model";
import type { NewOutboxRow } from "../events/events-repo";

/** One outbox row per recipient for one change of an event: written in the same batch as the change. */
export function planMail(
  eventId: string,
  sequence: number,
  kind: "created" | "updated" | "cancelled",
  recipients: readonly string[],
): NewOutboxRow[] {
  const now = new Date().toISOString();
  return recipients.map((recipient) => ({
    id: crypto.randomUUID(),
    eventId,
    recipient,
    kind,
    sequence,
    status: "queued" as const,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  }));
}

/** Mail for a reschedule: an update to everyone invited now, a cancellation to anyone removed. */
export function planUpdateMail(
  eventId: string,
  sequence: number,
  participants: readonly string[],
  previousParticipants: readonly string[],
): NewOutboxRow[] {
  const removed = previousParticipants.filter((p) => !participants.includes(p));
  return [
    ...planMail(eventId, sequence, "updated", participants),
    ...planMail(eventId, sequence, "cancelled", removed),
  ];
}

/** How a freshly planned mail shows under the event's `emails`. */
export function queuedEmailStatus(row: NewOutboxRow): EmailStatus {
  return {
    to: row.recipient,
    kind: row.kind,
    status: "queued",
    attempts: 0,
    lastError: null,
    sequence: row.sequence,
  };
}
