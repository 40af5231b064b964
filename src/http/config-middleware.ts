import { createMiddleware } from "hono/factory";
import { parseConfig } from "../config";
import type { AppEnv } from "../types";

/** Parses configuration once per env and puts it on `c.var.config`; a bad setting is a 500 problem. */
export const withConfig = createMiddleware<AppEnv>(async (c, next) => {
  c.set("config", parseConfig(c.env));
  await next();
});
