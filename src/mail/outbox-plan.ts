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
