import type { EventRow } from "../db/schema";
import { deleteEvent, getEvent } from "../google/calendar";
import { planMail, planUpdateMail, queuedEmailStatus } from "../mail/outbox-plan";
import { announceEventChange } from "../webhooks/messages";
import type { StoredEvent } from "./event-model";
import type { NewOutboxRow } from "./events-repo";
import * as repo from "./events-repo";
import type { EventsDeps } from "./events-service";
import { keepAnswers, parsePendingState, rowFieldsOf, STALE_INTENT_MS } from "./events-service";
import { googleFieldsOf } from "./google-mapping";

export interface ReconcileReport {
  examined: number;
  completed: number;
  rolledBack: number;
  failed: number;
}

/**
 * Finishes or rolls back every intent a crash or a failed compensation left behind, following what
 * Google actually holds: a create Google has is completed (and its mail and webhooks queued), one it
 * lacks is dropped; an update or cancel is completed if Google applied it, else rolled back. Run by cron.
 */
export async function reconcilePending(
  deps: EventsDeps,
  options: { olderThanMs?: number; limit?: number; now?: number } = {},
): Promise<ReconcileReport> {
  const before = new Date(
    (options.now ?? Date.now()) - (options.olderThanMs ?? STALE_INTENT_MS),
  ).toISOString();
  const rows = await repo.findStalePending(deps.db, before, options.limit ?? 50);
  const report: ReconcileReport = { examined: rows.length, completed: 0, rolledBack: 0, failed: 0 };
  for (const row of rows) {
    try {
      const stored = await repo.findEventById(deps.db, row.id);
      const participants = stored?.participants ?? [];
      switch (row.pendingOp) {
        case "create": {
          const google = await getEvent(deps, row.accountId, row.googleEventId, row.calendarId);
          if (google && google.status !== "cancelled") {
            const fields = googleFieldsOf(google, 0);
            const mail = planMail(row.id, fields.sequence, "created", participants);
            const announce = await announceEventChange(
              deps.db,
              "event.created",
              completedEvent(row, stored, fields, mail),
            );
            await repo.completeCreate(deps.db, row.id, fields, mail, announce);
            report.completed++;
          } else {
            await repo.deleteIntent(deps.db, row.id);
            report.rolledBack++;
          }
          break;
        }
        case "abandon": {
          await deleteEvent(deps, row.accountId, row.googleEventId, row.calendarId);
          await repo.deleteIntent(deps.db, row.id);
          report.rolledBack++;
          break;
        }
        case "update": {
          const google = await getEvent(deps, row.accountId, row.googleEventId, row.calendarId);
          const target = row.sequence + 1;
          if (
            google &&
            google.status !== "cancelled" &&
            (google.sequence ?? 0) >= target &&
            row.pendingPayload
          ) {
            const next = parsePendingState(row.pendingPayload);
            const fields = googleFieldsOf(google, target);
            const changes = { ...rowFieldsOf(next), ...fields };
            const attendees = keepAnswers(next.participants, stored?.attendees ?? []);
            const mail = planUpdateMail(row.id, fields.sequence, next.participants, participants);
            const announce = await announceEventChange(
              deps.db,
              "event.updated",
              completedEvent(row, stored, changes, mail, attendees),
            );
            await repo.completeUpdate(deps.db, row.id, changes, attendees, mail, announce);
            report.completed++;
          } else {
            await repo.clearPending(deps.db, row.id);
            report.rolledBack++;
          }
          break;
        }
        case "cancel": {
          const google = await getEvent(deps, row.accountId, row.googleEventId, row.calendarId);
          if (!google || google.status === "cancelled") {
            const sequence = row.sequence + 1;
            const mail = planMail(row.id, sequence, "cancelled", participants);
            const cancelled = { status: "cancelled" as const, cancelledBy: "api" as const, sequence };
            const announce = await announceEventChange(
              deps.db,
              "event.cancelled",
              completedEvent(row, stored, cancelled, mail),
            );
            await repo.completeCancel(deps.db, row.id, sequence, mail, announce);
            report.completed++;
          } else {
            await repo.clearPending(deps.db, row.id);
            report.rolledBack++;
          }
          break;
        }
      }
    } catch (err) {
      report.failed++;
      console.error(
        JSON.stringify({
          level: "warn",
          msg: "reconcile failed",
          event_id: row.id,
          op: row.pendingOp,
          error: String(err),
        }),
      );
    }
  }
  return report;
}

/** The event as a completion leaves it (the body of its webhook): the row changed, its new mail queued. */
function completedEvent(
  row: EventRow,
  stored: StoredEvent | undefined,
  changes: Partial<EventRow>,
  mail: NewOutboxRow[],
  attendees = stored?.attendees ?? [],
): StoredEvent {
  return {
    row: {
      ...row,
      ...changes,
      pendingOp: null,
      pendingPayload: null,
      pendingSince: null,
      updatedAt: new Date().toISOString(),
    },
    participants: attendees.map((a) => a.email),
    attendees,
    emails: [...(stored?.emails ?? []), ...mail.map(queuedEmailStatus)],
  };
}
