import { Hono } from "hono";
import { depsFromContext } from "../deps";
import { listCalendars } from "../google/calendar-list";
import { requireApiToken } from "../http/api-auth";
import { requireGrantedScope } from "../tokens/access-token";
import type { AppEnv } from "../types";

const ACCESS_ROLES: Record<string, string> = {
  owner: "owner",
  writer: "writer",
  reader: "reader",
  freeBusyReader: "free_busy_reader",
};

/** The caller's Google calendars: where events can go (`writer`/`owner`) and whose free/busy can be read. */
export const calendarsRoutes = new Hono<AppEnv>().get("/api/calendars", requireApiToken, async (c) => {
  const deps = depsFromContext(c);
  const accountId = c.get("account").id;
  await requireGrantedScope(deps, accountId, "calendarList");
  const entries = await listCalendars(deps, accountId);
  return c.json({
    calendars: entries.map((entry) => ({
      id: entry.id,
      summary: entry.summaryOverride ?? entry.summary ?? entry.id,
      primary: entry.primary === true,
      access_role: ACCESS_ROLES[entry.accessRole] ?? "reader",
      time_zone: entry.timeZone ?? null,
    })),
  });
});
