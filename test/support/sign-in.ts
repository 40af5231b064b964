import { api, app } from "./app";
import { channelsOf } from "./google";

export interface SignedIn {
  email: string;
  token: string;
  accountId: string;
}

export interface ConsentOptions {
  email?: string;
  decision?: "allow" | "deny";
  /** Tick the calendar box on the consent page (default true). */
  grantCalendar?: boolean;
  /**
   * The other permission boxes to tick (default: every one the app asks for: free/busy and the calendar
   * list). `[]` is an account connected before availability existed.
   */
  extraScopes?: readonly string[];
}

/** The scopes the consent page offers besides sign-in and events (src/oauth/scopes.ts). */
export const FREEBUSY_SCOPE = "https://www.googleapis.com/auth/calendar.events.freebusy";
export const CALENDAR_LIST_SCOPE = "https://www.googleapis.com/auth/calendar.calendarlist.readonly";

export interface ConsentResult {
  /** `name=value` of the binding cookie set by /api/google-auth/. */
  cookie: string;
  /** Path + query of the redirect back to /oauth2callback/. */
  callbackPath: string;
  authorizationUrl: URL;
}

/** A fresh address per call: test files share one emulator, so every test gets its own Google account. */
export function newEmail(label = "user"): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;
}

/** Starts the consent at the app and answers Google's consent page as a user would (without a browser). */
export async function consent(options: ConsentOptions = {}): Promise<ConsentResult> {
  // A distinct client address per consent: the per-IP consent budget is exercised in its own test.
  const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}, ${crypto.randomUUID()}`;
  const start = await app("/api/google-auth/", {
    headers: { accept: "application/json", "cf-connecting-ip": ip },
  });
  if (start.status !== 200) throw new Error(`google-auth answered ${start.status}`);
  const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
  const authorizationUrl = new URL(((await start.json()) as { authorization_url: string }).authorization_url);

  const form = new URLSearchParams(authorizationUrl.searchParams);
  form.set("email", options.email ?? newEmail());
  form.set("decision", options.decision ?? "allow");
  if (options.grantCalendar !== false)
    form.append("granted_scope", "https://www.googleapis.com/auth/calendar.events");
  for (const scope of options.extraScopes ?? [FREEBUSY_SCOPE, CALENDAR_LIST_SCOPE])
    form.append("granted_scope", scope);
  const answer = await fetch(new URL("/o/oauth2/v2/auth/approve", authorizationUrl), {
    method: "POST",
    body: form,
    redirect: "manual",
  });
  const location = answer.headers.get("location");
  if (answer.status !== 302 || !location)
    throw new Error(`consent answered ${answer.status}: ${await answer.text()}`);
  const back = new URL(location);
  return { cookie, callbackPath: `${back.pathname}${back.search}`, authorizationUrl };
}

/** The whole flow: consent, callback (JSON), and the resulting API token. */
export async function signIn(options: ConsentOptions = {}): Promise<SignedIn> {
  const email = options.email ?? newEmail();
  const { cookie, callbackPath } = await consent({ ...options, email });
  const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
  if (res.status !== 200) throw new Error(`callback answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { api_token: string; account: { id: string; email: string } };
  await channelOpened(email);
  return { email, token: body.api_token, accountId: body.account.id };
}

/** GET /api/me for a token. */
export async function me(token: string) {
  const res = await api("/api/me", { token });
  return {
    res,
    body: (await res.json()) as {
      account: { id: string; email: string };
      google: { status: string; scopes: string[] };
    },
  };
}

/**
 * Waits (bounded) until the consent's background work has opened the account's push channel, so a test
 * starts from a quiet account: nothing of the sign-in still talks to Google behind its back.
 */
async function channelOpened(email: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await channelsOf(email)).some((c) => !c.stopped)) {
    if (Date.now() > deadline) throw new Error(`no push channel opened for ${email}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
