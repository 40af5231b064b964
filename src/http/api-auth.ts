import { createMiddleware } from "hono/factory";
import { findAccountByApiToken } from "../tokens/api-tokens";
import type { AppEnv } from "../types";
import { unauthorized } from "./problem";

/** `Authorization: Bearer <api token>` → `c.var.account`; anything else is a 401 with a Bearer challenge. */
export const requireApiToken = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (!header) throw unauthorized("Send your API token as 'Authorization: Bearer <token>'.");
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  if (!match?.[1])
    throw unauthorized("The Authorization header must use the Bearer scheme.", "invalid_token");
  const account = await findAccountByApiToken(c.env.TOKENS, match[1]);
  if (!account) throw unauthorized("The API token is invalid or was revoked.", "invalid_token");
  c.set("account", account);
  await next();
});
