import { Hono } from "hono";
import { connectionOf } from "../accounts/connection";
import { depsFromContext } from "../deps";
import { requireApiToken } from "../http/api-auth";
import type { AppEnv } from "../types";

/** The caller's account and the state of its Google connection. */
export const meRoutes = new Hono<AppEnv>().get("/api/me", requireApiToken, async (c) => {
  const account = c.get("account");
  const google = await connectionOf(depsFromContext(c), account.id);
  return c.json({ account: { id: account.id, email: account.email }, google });
});
