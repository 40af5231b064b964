/** The OpenID scope; Google keeps it as `openid` in granted scope strings. */
const OPENID_SCOPE = "openid";
/** What Google grants for the short `email` scope. */
export const USERINFO_EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email";
/** What Google grants for the short `profile` scope. */
export const USERINFO_PROFILE_SCOPE = "https://www.googleapis.com/auth/userinfo.profile";
/** The scope calendar-edge asks for: read and write events. */
export const CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events";
const GOOGLE_SCOPE_PREFIX = "https://www.googleapis.com/auth/";

function googleScopes(...names: string[]): readonly string[] {
  return names.map((name) => `${GOOGLE_SCOPE_PREFIX}${name}`);
}

const EVENTS_READ = googleScopes(
  "calendar",
  "calendar.app.created",
  "calendar.events",
  "calendar.events.freebusy",
  "calendar.events.owned",
  "calendar.events.owned.readonly",
  "calendar.events.public.readonly",
  "calendar.events.readonly",
  "calendar.readonly",
);
const EVENTS_WRITE = googleScopes(
  "calendar",
  "calendar.app.created",
  "calendar.events",
  "calendar.events.owned",
);

/** Calendar v3 methods the emulator serves, named as in the discovery document. */
export type CalendarMethod =
  | "events.list"
  | "events.get"
  | "events.watch"
  | "events.insert"
  | "events.patch"
  | "events.update"
  | "events.delete"
  | "calendarList.list"
  | "calendarList.get"
  | "freebusy.query"
  | "channels.stop";

/** Each method's `scopes`, copied from the Calendar v3 discovery document (revision 20251028): any one will do. */
export const METHOD_SCOPES: Record<CalendarMethod, readonly string[]> = {
  "events.list": EVENTS_READ,
  "events.get": EVENTS_READ,
  "events.watch": EVENTS_READ,
  "events.insert": EVENTS_WRITE,
  "events.patch": EVENTS_WRITE,
  "events.update": EVENTS_WRITE,
  "events.delete": EVENTS_WRITE,
  "calendarList.list": googleScopes(
    "calendar",
    "calendar.calendarlist",
    "calendar.calendarlist.readonly",
    "calendar.readonly",
  ),
  "calendarList.get": googleScopes(
    "calendar",
    "calendar.app.created",
    "calendar.calendarlist",
    "calendar.calendarlist.readonly",
    "calendar.readonly",
  ),
  "freebusy.query": googleScopes(
    "calendar",
    "calendar.events.freebusy",
    "calendar.freebusy",
    "calendar.readonly",
  ),
  "channels.stop": googleScopes(
    "calendar",
    "calendar.acls",
    "calendar.acls.readonly",
    "calendar.app.created",
    "calendar.calendarlist",
    "calendar.calendarlist.readonly",
    "calendar.events",
    "calendar.events.freebusy",
    "calendar.events.owned",
    "calendar.events.owned.readonly",
    "calendar.events.public.readonly",
    "calendar.events.readonly",
    "calendar.readonly",
    "calendar.settings.readonly",
  ),
};

const SHORT_NAMES: Record<string, string> = { email: USERINFO_EMAIL_SCOPE, profile: USERINFO_PROFILE_SCOPE };

/** One scope as Google reports it when granted: `email`/`profile` expanded to their userinfo URLs. */
export function normalizeScope(scope: string): string {
  return SHORT_NAMES[scope] ?? scope;
}

/** A space-separated scope parameter as a list of normalized, distinct scopes in request order. */
export function parseScopeParam(param: string | null): string[] {
  const scopes = (param ?? "").split(/\s+/).filter(Boolean).map(normalizeScope);
  return [...new Set(scopes)];
}

/** Sign-in scopes are granted with the account; the consent page offers no checkbox for them. */
export function isBasicScope(scope: string): boolean {
  return scope === OPENID_SCOPE || scope === USERINFO_EMAIL_SCOPE || scope === USERINFO_PROFILE_SCOPE;
}

/** Whether Google would recognise the scope (sign-in scopes or any googleapis.com auth scope). */
export function isKnownScope(scope: string): boolean {
  return (
    isBasicScope(scope) ||
    (scope.startsWith(GOOGLE_SCOPE_PREFIX) && scope.length > GOOGLE_SCOPE_PREFIX.length)
  );
}

/** Whether a token with these scopes may call the method. */
export function allowsMethod(scopes: readonly string[], method: CalendarMethod): boolean {
  return METHOD_SCOPES[method].some((scope) => scopes.includes(scope));
}

/** Whether an ID token is issued for these scopes (any sign-in scope). */
export function wantsIdToken(scopes: readonly string[]): boolean {
  return scopes.some(isBasicScope);
}
