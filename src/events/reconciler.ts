import { deleteEvent, getEvent } from "../google/calendar";
import { planMail, planUpdateMail } from "../mail/outbox-plan";
import * as repo from "./events-repo";
import type { EventsDeps } from "./events-service";
import { parsePendingState, rowFieldsOf, STALE_INTENT_MS } from "./events-service";
import { googleFieldsOf } from "./google-mapping";

export interface ReconcileReport {
  examined: number;
  completed: number;
  rolledBack: number;
  failed: number;
}

/**
 * Finishes or rolls back every intent a crash or a failed compensation left behind, following what
 * Google actually holds: a create Google has is completed (and its mail queued), one it lacks is
 * dropped; an update or cancel is completed if Google applied it, else rolled back. Run by cron.
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
      const participants = (await repo.findEventById(deps.db, row.id))?.participants ?? [];
      switch (row.pendingOp) {
        case "create": {
          const google = await getEvent(deps, row.accountId, row.googleEventId);
          if (google && google.status !== "cancelled") {
            const fields = googleFieldsOf(google, 0);
            await repo.completeCreate(
              deps.db,
              row.id,
              fields,
              planMail(row.id, fields.sequence, "created", participants),
            );
            report.completed++;
          } else {
            await repo.deleteIntent(deps.db, row.id);
            report.rolledBack++;
          }
          break;
        }
        case "abandon": {
          await deleteEvent(deps, row.accountId, row.googleEventId);
          await repo.deleteIntent(deps.db, row.id);
          report.rolledBack++;
          break;
        }
        case "update": {
          const google = await getEvent(deps, row.accountId, row.googleEventId);
          const target = row.sequence + 1;
          if (
            google &&
            google.status !== "cancelled" &&
            (google.sequence ?? 0) >= target &&
            row.pendingPayload
          ) {
            const next = parsePendingState(row.pendingPayload);
            const fields = googleFieldsOf(google, target);
            await repo.completeUpdate(
              deps.db,
              row.id,
              { ...rowFieldsOf(next), ...fields },
              next.participants,
              planUpdateMail(row.id, fields.sequence, next.participants, participants),
            );
            report.completed++;
          } else {
            await repo.clearPending(deps.db, row.id);
            report.rolledBack++;
          }
          break;
        }
        case "cancel": {
          const google = await getEvent(deps, row.accountId, row.googleEventId);
          if (!google || google.status === "cancelled") {
            const sequence = row.sequence + 1;
            await repo.completeCancel(
              deps.db,
              row.id,
              sequence,
              planMail(row.id, sequence, "cancelled", participants),
            );
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
