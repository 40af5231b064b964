import type { Context } from "hono";
import type { Config } from "./config";
import { createDb, type Db } from "./db/client";
import type { MailJob } from "./mail/outbox";
import { createTokenStore, type TokenStore } from "./tokens/token-store";
import type { AppEnv } from "./types";

/** What services need from the outside world; built per request (or per batch) from bindings and config. */
export interface Deps {
  config: Config;
  kv: KVNamespace;
  tokens: TokenStore;
  db: Db;
  mailQueue: Queue<MailJob>;
  mailer: SendEmail;
}

export function createDeps(env: Env, config: Config): Deps {
  return {
    config,
    kv: env.TOKENS,
    tokens: createTokenStore(env.TOKENS, config.tokenEncryptionKey),
    db: createDb(env.DB),
    mailQueue: env.MAIL_QUEUE as Queue<MailJob>,
    mailer: env.MAILER,
  };
}

export function depsFromContext(c: Context<AppEnv>): Deps {
  return createDeps(c.env, c.get("config"));
}
