import { ProblemError } from "../http/problem";

/** The calendar permission the product needs; the broader full-calendar scope also satisfies it. */
export const CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events";
/** Free/busy of the calendars the account can see (availability, `if_free`). */
export const FREEBUSY_SCOPE = "https://www.googleapis.com/auth/calendar.events.freebusy";
/** The account's calendar list with its access role on each (`/api/calendars`, `calendar_id`). */
export const CALENDAR_LIST_SCOPE = "https://www.googleapis.com/auth/calendar.calendarlist.readonly";

const CALENDAR = "https://www.googleapis.com/auth/calendar";
const CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly";

/** What each feature needs: any one of its scopes (as the discovery document lists them). */
const FEATURE_SCOPES = {
  events: [CALENDAR_EVENTS_SCOPE, CALENDAR],
  freebusy: [
    FREEBUSY_SCOPE,
    "https://www.googleapis.com/auth/calendar.freebusy",
    CALENDAR_READONLY,
    CALENDAR,
  ],
  calendarList: [
    CALENDAR_LIST_SCOPE,
    "https://www.googleapis.com/auth/calendar.calendarlist",
    CALENDAR_READONLY,
    CALENDAR,
  ],
} as const;

/** A feature that needs its own Google permission. */
export type ScopedFeature = keyof typeof FEATURE_SCOPES;

/**
 * What the consent page asks for: sign-in, events, and the two narrow read-only scopes availability
 * needs. Asked with `include_granted_scopes=true`, so a reconnect adds them to an older grant.
 */
export const REQUESTED_SCOPES = [
  "openid",
  "email",
  CALENDAR_EVENTS_SCOPE,
  FREEBUSY_SCOPE,
  CALENDAR_LIST_SCOPE,
] as const;

/** Splits an OAuth `scope` string (space-separated) into a sorted, de-duplicated list. */
export function parseScopes(scope: string | undefined | null): string[] {
  return [...new Set((scope ?? "").split(/\s+/).filter(Boolean))].sort();
}

/** True when the granted scopes let the product create calendar events. */
export function hasCalendarScope(scopes: readonly string[]): boolean {
  return hasScopeFor("events", scopes);
}

/** True when the granted scopes allow the feature. */
export function hasScopeFor(feature: ScopedFeature, scopes: readonly string[]): boolean {
  return FEATURE_SCOPES[feature].some((s) => scopes.includes(s));
}

/**
 * 403 `insufficient_scope` unless the grant allows the feature: an account connected before the feature
 * existed must reconnect once (the consent then asks for the missing scope, keeping the others).
 */
export function requireScopeFor(feature: ScopedFeature, scopes: readonly string[]): void {
  if (hasScopeFor(feature, scopes)) return;
  throw new ProblemError("insufficient_scope", {
    detail:
      "This account's Google authorization predates this feature or left its permission unticked. Open /api/google-auth/ to reconnect; Google will ask only for what is missing.",
    extensions: {
      authorize_url: "/api/google-auth/",
      missing_scopes: [FEATURE_SCOPES[feature][0]],
      granted_scopes: [...scopes],
    },
  });
}
