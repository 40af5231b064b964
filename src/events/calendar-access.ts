import { PRIMARY_CALENDAR } from "../google/calendar";
import { getCalendarListEntry } from "../google/calendar-list";
import { validationFailed } from "../http/problem";
import { type AccessTokenDeps, requireGrantedScope } from "../tokens/access-token";

// Events go only to calendars where the account may write (writer or owner in its calendar list). The
// check asks Google once per calendar and isolate every few minutes: Google still refuses a write if the
// role was taken away since.

const WRITABLE_ROLES = new Set(["owner", "writer"]);
const CHECK_TTL_MS = 5 * 60_000;
const CHECK_MAX = 1_000;
const checked = new Map<string, number>();

/** Throws 422 unless the account can write events on the calendar (`primary` always can). */
export async function assertWritableCalendar(
  deps: AccessTokenDeps,
  accountId: string,
  calendarId: string,
): Promise<void> {
  if (calendarId === PRIMARY_CALENDAR) return;
  const key = `${accountId}\n${calendarId}`;
  if ((checked.get(key) ?? 0) > Date.now()) return;
  await requireGrantedScope(deps, accountId, "calendarList");
  const entry = await getCalendarListEntry(deps, accountId, calendarId);
  if (!entry) {
    throw validationFailed([{ path: "calendar_id", message: "is not in this account's calendar list" }]);
  }
  if (!WRITABLE_ROLES.has(entry.accessRole)) {
    throw validationFailed([
      { path: "calendar_id", message: `is read-only for this account (access role ${entry.accessRole})` },
    ]);
  }
  if (checked.size >= CHECK_MAX) checked.clear();
  checked.set(key, Date.now() + CHECK_TTL_MS);
}
