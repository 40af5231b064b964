// A minimal Google OAuth + Calendar client for the emulator tests: plain fetches to Google's real URLs,
// which reach the emulator through Miniflare's outboundService (vitest.config.ts).
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_REDIRECT_URI } from "../support/constants";

export const AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth";
export const APPROVE_URL = "https://accounts.google.com/o/oauth2/v2/auth/approve";
export const TOKEN_URL = "https://oauth2.googleapis.com/token";
export const REVOKE_URL = "https://oauth2.googleapis.com/revoke";
export const JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs";
export const CALENDAR_URL = "https://www.googleapis.com/calendar/v3";
export const CONTROL_URL = "https://www.googleapis.com/__emulator";
export const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events";
export const EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email";

/** A fresh address: test files share one emulator, so every test uses its own account. */
export function uniqueEmail(label = "emu"): string {
  return `${label}-${crypto.randomUUID().slice(0, 12)}@example.com`;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** A PKCE verifier and its S256 challenge. */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

/** The query calendar-edge sends to the consent page, with overrides (`null` removes a parameter). */
export function authorizationParams(challenge: string, overrides: Record<string, string | null> = {}) {
  const params = new URLSearchParams({
    client_id: TEST_CLIENT_ID,
    redirect_uri: TEST_REDIRECT_URI,
    response_type: "code",
    scope: `openid email ${CALENDAR_SCOPE}`,
    state: crypto.randomUUID(),
    code_challenge: challenge,
    code_challenge_method: "S256",
    access_type: "offline",
    prompt: "consent",
    include_granted_scopes: "true",
  });
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) params.delete(name);
    else params.set(name, value);
  }
  return params;
}

/** Answers the consent form as a browser would: the hidden params + account + decision + ticked scopes. */
export function approve(
  params: URLSearchParams,
  options: { email: string; decision?: "allow" | "deny"; grantedScopes?: string[] },
): Promise<Response> {
  const form = new URLSearchParams(params);
  form.set("email", options.email);
  form.set("decision", options.decision ?? "allow");
  for (const scope of options.grantedScopes ?? [CALENDAR_SCOPE]) form.append("granted_scope", scope);
  return fetch(APPROVE_URL, { method: "POST", body: form, redirect: "manual" });
}

/** Consent for `email`, returning the code from the redirect and the PKCE verifier that goes with it. */
export async function authorize(
  email: string,
  options: { grantedScopes?: string[]; params?: Record<string, string | null> } = {},
) {
  const { verifier, challenge } = await pkcePair();
  const params = authorizationParams(challenge, options.params);
  const answer = await approve(params, {
    email,
    ...(options.grantedScopes ? { grantedScopes: options.grantedScopes } : {}),
  });
  const location = answer.headers.get("location");
  if (answer.status !== 302 || !location) throw new Error(`consent answered ${answer.status}`);
  const redirect = new URL(location);
  return { code: redirect.searchParams.get("code") ?? "", redirect, verifier, params };
}

/** POSTs a form to the token endpoint with the test client's credentials (client_secret_post). */
export function tokenRequest(fields: Record<string, string>): Promise<Response> {
  return fetch(TOKEN_URL, {
    method: "POST",
    body: new URLSearchParams({ client_id: TEST_CLIENT_ID, client_secret: TEST_CLIENT_SECRET, ...fields }),
  });
}

/** Exchanges a code with its verifier. */
export function exchangeCode(
  code: string,
  verifier: string,
  extra: Record<string, string> = {},
): Promise<Response> {
  return tokenRequest({
    grant_type: "authorization_code",
    code,
    redirect_uri: TEST_REDIRECT_URI,
    code_verifier: verifier,
    ...extra,
  });
}

/** What a successful token response holds. */
export interface TokenSet {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  token_type: string;
  id_token?: string;
}

/** Consent + code exchange: the tokens Google would give calendar-edge for `email`. */
export async function signInAtGoogle(
  email: string,
  options: { grantedScopes?: string[] } = {},
): Promise<TokenSet> {
  const { code, verifier } = await authorize(email, options);
  const res = await exchangeCode(code, verifier);
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as TokenSet;
}

/** A Calendar v3 call with a bearer token; `path` is relative to /calendar/v3. */
export function calendar(path: string, token: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("authorization", `Bearer ${token}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  return fetch(`${CALENDAR_URL}${path}`, {
    ...rest,
    headers,
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
}

/** A call to the control surface; `path` is relative to /__emulator. */
export function control(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  return fetch(`${CONTROL_URL}${path}`, {
    ...rest,
    ...(json !== undefined
      ? { body: JSON.stringify(json), headers: { "content-type": "application/json" } }
      : {}),
  });
}

/** Registers a fault and returns its id. */
export async function addFault(spec: Record<string, unknown>): Promise<string> {
  const res = await control("/faults", { method: "POST", json: spec });
  if (res.status !== 201) throw new Error(`fault refused (${res.status}): ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** The call log of one account, optionally of one endpoint (shared with the app's tests). */
export { callsOf } from "../support/google";

/** An event body for insert: one hour from `start` (RFC 3339 UTC), with one attendee. */
export function eventBody(start = "2026-12-01T10:00:00Z", extra: Record<string, unknown> = {}) {
  const end = new Date(Date.parse(start) + 3_600_000).toISOString().replace(".000Z", "Z");
  return {
    summary: "Planning",
    start: { dateTime: start },
    end: { dateTime: end },
    attendees: [{ email: "guest@example.com" }],
    ...extra,
  };
}

/** A full Google scope URL from its short name (`calendar.readonly` → `https://www.googleapis.com/auth/calendar.readonly`). */
export function scopeUrl(name: string): string {
  return `https://www.googleapis.com/auth/${name}`;
}

/** An access token for `email` holding exactly these scopes (short names) plus the sign-in ones. */
export async function tokenWithScopes(email: string, scopes: string[]): Promise<string> {
  const urls = scopes.map(scopeUrl);
  const { code, verifier } = await authorize(email, {
    grantedScopes: urls,
    // Without include_granted_scopes, so earlier consents of the account do not widen the token.
    params: { scope: ["openid", "email", ...urls].join(" "), include_granted_scopes: null },
  });
  const res = await exchangeCode(code, verifier);
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as TokenSet).access_token;
}

/** A fresh account signed in with calendar.events (the app's scope), and its address. */
export async function signedInAccount(label: string): Promise<{ email: string; token: string }> {
  const email = uniqueEmail(label);
  const { access_token } = await signInAtGoogle(email);
  return { email, token: access_token };
}

/** The `error` member of a Google API error body. */
export function apiError(body: unknown) {
  return (
    body as {
      error: {
        code: number;
        message: string;
        errors: Array<{ domain: string; reason: string; message: string }>;
      };
    }
  ).error;
}

/** Inserts an event and returns it, failing the test on anything but 200. */
export async function insertEvent<T = { id: string; etag: string; sequence: number; updated: string }>(
  token: string,
  calendarId: string,
  body: unknown,
): Promise<T> {
  const res = await calendar(`/calendars/${encodeURIComponent(calendarId)}/events`, token, {
    method: "POST",
    json: body,
  });
  if (res.status !== 200) throw new Error(`insert answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
