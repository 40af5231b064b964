import { createApp } from "./app";
import { parseConfig } from "./config";
import { createDeps } from "./deps";
import { reconcilePending } from "./events/reconciler";
import type { MailJob } from "./mail/outbox";
import { sweepOutbox } from "./mail/outbox";
import { handleMailBatch } from "./mail/queue-consumer";

const app = createApp();

export default {
  /** The HTTP API. */
  fetch: app.fetch,

  /** Mail delivery (and its dead-letter queue). */
  async queue(batch, env) {
    await handleMailBatch(batch as MessageBatch<MailJob>, createDeps(env, parseConfig(env)));
  },

  /** Every minute: repair interrupted event writes, then re-enqueue stuck mail (also the repairs' mail). */
  async scheduled(controller, env, _ctx) {
    const deps = createDeps(env, parseConfig(env));
    // Independent jobs: a failing repair must not keep mail from being swept. Its error is rethrown after.
    const events = await reconcilePending(deps, { now: controller.scheduledTime }).then(
      (report) => ({ report }),
      (error: unknown) => ({ error }),
    );
    const mail = await sweepOutbox(deps, controller.scheduledTime);
    if ("error" in events) throw events.error;
    if (events.report.examined > 0 || mail > 0) {
      console.log(
        JSON.stringify({ level: "info", msg: "maintenance", events: events.report, mail_requeued: mail }),
      );
    }
  },
} satisfies ExportedHandler<Env>;
