import { createMiddleware } from "hono/factory";
import { findAccountByApiToken } from "../tokens/api-tokens";
import type { AppEnv } from "../types";
import { unauthorized } from "./problem";
import { enforceRateLimit } from "./rate-limit";

/**
 * `Authorization: Bearer <api token>` → `c.var.account`; anything else is a 401 with a Bearer challenge.
 * Each token then spends from its own rate-limit budget.
 */
export const requireApiToken = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (!header) throw unauthorized("Send your API token as 'Authorization: Bearer <token>'.");
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  if (!match?.[1])
    throw unauthorized("The Authorization header must use the Bearer scheme.", "invalid_token");
  const found = await findAccountByApiToken(c.env.TOKENS, match[1]);
  if (!found) throw unauthorized("The API token is invalid or was revoked.", "invalid_token");
  await enforceRateLimit(c.env.API_RATE_LIMITER, `token:${found.tokenHash}`, "API token");
  c.set("account", found.account);
  await next();
});
