import type { Deps } from "../deps";
import { reconcilePending } from "../events/reconciler";
import { sweepOutbox } from "../mail/outbox";
import { renewChannels, repairChannels, scheduleDueSyncs } from "../sync/maintenance";
import { sweepWebhookDeliveries } from "../webhooks/delivery-queue";

/** One independent maintenance job run by the cron trigger; its result is logged. */
interface CronJob {
  name: string;
  run(deps: Deps, now: number): Promise<unknown>;
}

// Every minute, in this order. Each job is independent: one that fails must not keep the others from
// running, so its error is rethrown only after all of them ran (the cron run is then marked failed).
const JOBS: CronJob[] = [
  // Repairs interrupted event writes first: the repairs' mail is then swept with the rest.
  { name: "events", run: (deps, now) => reconcilePending(deps, { now }) },
  { name: "mail_requeued", run: (deps, now) => sweepOutbox(deps, now) },
  // Webhooks whose queue message was lost, and (a minute later) those the repairs announced.
  { name: "webhooks", run: (deps, now) => sweepWebhookDeliveries(deps, now) },
  { name: "channels_renewed", run: renewChannels },
  { name: "channels_opened", run: repairChannels },
  { name: "syncs_scheduled", run: scheduleDueSyncs },
];

/** Runs every maintenance job once; logs what they did; throws the first failure after all ran. */
export async function runMaintenance(deps: Deps, now: number): Promise<void> {
  const report: Record<string, unknown> = {};
  let failure: unknown;
  for (const job of JOBS) {
    try {
      report[job.name] = await job.run(deps, now);
    } catch (error) {
      failure ??= error;
      report[job.name] = { error: String(error) };
    }
  }
  if (Object.values(report).some(isActivity)) {
    console.log(JSON.stringify({ level: "info", msg: "maintenance", ...report }));
  }
  if (failure !== undefined) throw failure;
}

/** Whether a job's result says it did something worth a log line. */
function isActivity(result: unknown): boolean {
  if (typeof result === "number") return result > 0;
  if (result && typeof result === "object") {
    return Object.values(result).some((v) => (typeof v === "number" ? v > 0 : v !== undefined));
  }
  return false;
}
