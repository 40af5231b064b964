/** The calendar permission the product needs; the broader full-calendar scope also satisfies it. */
export const CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events";
const CALENDAR_SCOPES = new Set([CALENDAR_EVENTS_SCOPE, "https://www.googleapis.com/auth/calendar"]);

/** What the consent page asks for. */
export const REQUESTED_SCOPES = ["openid", "email", CALENDAR_EVENTS_SCOPE] as const;

/** Splits an OAuth `scope` string (space-separated) into a sorted, de-duplicated list. */
export function parseScopes(scope: string | undefined | null): string[] {
  return [...new Set((scope ?? "").split(/\s+/).filter(Boolean))].sort();
}

/** True when the granted scopes let the product create calendar events. */
export function hasCalendarScope(scopes: readonly string[]): boolean {
  return scopes.some((s) => CALENDAR_SCOPES.has(s));
}
