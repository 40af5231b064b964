import type { Context } from "hono";
import type { Config } from "./config";
import { createDb, type Db } from "./db/client";
import type { MailJob } from "./mail/outbox";
import type { SyncJob } from "./sync/sync-requests";
import { createTokenStore, type TokenStore } from "./tokens/token-store";
import type { AppEnv } from "./types";
import type { WebhookJob } from "./webhooks/delivery-queue";

/** What services need from the outside world; built per request (or per batch) from bindings and config. */
export interface Deps {
  config: Config;
  kv: KVNamespace;
  tokens: TokenStore;
  db: Db;
  mailQueue: Queue<MailJob>;
  syncQueue: Queue<SyncJob>;
  webhookQueue: Queue<WebhookJob>;
  mailer: SendEmail;
}

export function createDeps(env: Env, config: Config): Deps {
  return {
    config,
    kv: env.TOKENS,
    tokens: createTokenStore(env.TOKENS, config.tokenEncryptionKey),
    db: createDb(env.DB),
    mailQueue: env.MAIL_QUEUE as Queue<MailJob>,
    syncQueue: env.SYNC_QUEUE as Queue<SyncJob>,
    webhookQueue: env.WEBHOOK_QUEUE as Queue<WebhookJob>,
    mailer: env.MAILER,
  };
}

export function depsFromContext(c: Context<AppEnv>): Deps {
  return createDeps(c.env, c.get("config"));
}
