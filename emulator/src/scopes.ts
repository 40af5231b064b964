/** The OpenID scope; Google keeps it as `openid` in granted scope strings. */
const OPENID_SCOPE = "openid";
/** What Google grants for the short `email` scope. */
export const USERINFO_EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email";
/** What Google grants for the short `profile` scope. */
export const USERINFO_PROFILE_SCOPE = "https://www.googleapis.com/auth/userinfo.profile";
/** The scope calendar-edge asks for: read and write events. */
export const CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events";
const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar";
const CALENDAR_READ_SCOPES = [
  "https://www.googleapis.com/auth/calendar.readonly",
  "https://www.googleapis.com/auth/calendar.events.readonly",
];
const GOOGLE_SCOPE_PREFIX = "https://www.googleapis.com/auth/";

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

/** Whether a token with these scopes may write events. */
export function canWriteEvents(scopes: readonly string[]): boolean {
  return scopes.includes(CALENDAR_EVENTS_SCOPE) || scopes.includes(CALENDAR_SCOPE);
}

/** Whether a token with these scopes may read events. */
export function canReadEvents(scopes: readonly string[]): boolean {
  return canWriteEvents(scopes) || CALENDAR_READ_SCOPES.some((scope) => scopes.includes(scope));
}

/** Whether an ID token is issued for these scopes (any sign-in scope). */
export function wantsIdToken(scopes: readonly string[]): boolean {
  return scopes.some(isBasicScope);
}
