// Drives the Google emulator from tests: plain fetches to Google's real URLs reach it through Miniflare's
// outboundService (see vitest.config.ts).
import type { FaultSpec as EmulatorFaultSpec } from "../../emulator/src/faults";

const CONTROL = "https://www.googleapis.com/__emulator";

/** Options of one injected fault (emulator/README.md "Control surface"); `times` defaults to 1. */
export type FaultSpec = Omit<EmulatorFaultSpec, "times"> & { times?: number };

async function control(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${CONTROL}${path}`, {
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });
  if (!res.ok) throw new Error(`emulator control ${path} answered ${res.status}: ${await res.text()}`);
  return res;
}

export async function injectFault(fault: FaultSpec): Promise<string> {
  const res = await control("/faults", { method: "POST", body: JSON.stringify(fault) });
  return ((await res.json()) as { id: string }).id;
}

export async function clearFault(id: string): Promise<void> {
  await fetch(`${CONTROL}/faults/${id}`, { method: "DELETE" });
}

export async function expireAccessTokens(email: string): Promise<void> {
  await control(`/accounts/${encodeURIComponent(email)}/expire-tokens`, { method: "POST" });
}

export async function revokeGrantsAtGoogle(email: string): Promise<void> {
  await control(`/accounts/${encodeURIComponent(email)}/revoke-grants`, { method: "POST" });
}

export interface EmulatorCall {
  endpoint: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** null while the call is still in flight; 0 for a dropped connection. */
  status: number | null;
  grantType?: string;
  faultId?: string;
}

export async function callsOf(email: string, endpoint?: string): Promise<EmulatorCall[]> {
  const q = new URLSearchParams({ account: email, ...(endpoint ? { endpoint } : {}) });
  return (await (await control(`/calls?${q}`)).json()) as EmulatorCall[];
}

/** Every event the emulator holds for the account (cancelled included). */
export async function googleEventsOf(email: string): Promise<GoogleEventResource[]> {
  return (await (
    await control(`/accounts/${encodeURIComponent(email)}/events`)
  ).json()) as GoogleEventResource[];
}

export interface GoogleEventResource {
  id: string;
  status: string;
  summary?: string;
  iCalUID: string;
  sequence: number;
  start: { dateTime?: string; timeZone?: string };
  end: { dateTime?: string; timeZone?: string };
  attendees?: { email: string }[];
  hangoutLink?: string;
  conferenceData?: unknown;
}

/**
 * Waits (bounded) until the emulator has answered every call of this account: a call the app gave up on
 * (timeout) may still land later, as at Google, and a test must not judge the final state before it has.
 */
export async function waitForGoogleIdle(email: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await callsOf(email)).some((call) => call.status === null)) {
    if (Date.now() > deadline)
      throw new Error(`emulator calls of ${email} still in flight after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
