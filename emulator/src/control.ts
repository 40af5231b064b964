import { addCalendar, expireSyncTokensOf, listCalendarsOf, setCalendar } from "./calendar-control.ts";
import type { CallLog } from "./call-log.ts";
import { ControlError, noContent, problem, readControlBody, reply } from "./control-http.ts";
import type { CalendarDeps } from "./event-store.ts";
import { FaultSpecError, type FaultStore, parseFaultSpec } from "./faults.ts";
import { decodePathSegment } from "./http.ts";
import { handlePeopleControl } from "./people-control.ts";
import { handlePushControl } from "./push-control.ts";
import { normalizeEmail } from "./state.ts";

/** Path prefix of the control surface. */
export const CONTROL_PREFIX = "/__emulator";

/** What the control surface reads and changes. */
export interface ControlDeps extends CalendarDeps {
  faults: FaultStore;
  calls: CallLog;
}

function expireTokens(deps: ControlDeps, account: string): Response {
  let expired = 0;
  const now = deps.state.now();
  for (const token of deps.state.accessTokens.values()) {
    if (token.account === account && token.expiresAt > now) {
      token.expiresAt = now;
      expired += 1;
    }
  }
  return reply({ expired });
}

function revokeGrants(deps: ControlDeps, account: string): Response {
  let revoked = 0;
  for (const grant of deps.state.grants.values()) {
    if (grant.account === account && !grant.revoked) {
      grant.revoked = true;
      revoked += 1;
    }
  }
  return reply({ revoked });
}

function grantsOf(deps: ControlDeps, account: string): Response {
  const grants = [...deps.state.grants.values()].filter((grant) => grant.account === account);
  return reply(
    grants.map(({ clientId, scopes, refreshTokenIssued, revoked }) => ({
      clientId,
      scopes,
      refreshTokenIssued,
      revoked,
    })),
  );
}

async function accountRoute(
  deps: ControlDeps,
  request: Request,
  account: string,
  path: readonly string[],
): Promise<Response | undefined> {
  const method = request.method;
  const [action, calendarId] = path;
  if (path.length === 1) {
    if (method === "POST" && action === "expire-tokens") return expireTokens(deps, account);
    if (method === "POST" && action === "revoke-grants") return revokeGrants(deps, account);
    if (method === "POST" && action === "expire-sync-tokens") return expireSyncTokensOf(deps.state, account);
    // The account's primary calendar, without creating the account.
    if (method === "GET" && action === "events")
      return reply([...(deps.state.calendars.get(account)?.events.values() ?? [])]);
    if (method === "GET" && action === "grants") return grantsOf(deps, account);
    if (method === "GET" && action === "calendars") return listCalendarsOf(deps.state, account);
    if (method === "POST" && action === "calendars") return addCalendar(deps.state, account, request);
  }
  if (path.length === 2 && action === "calendars" && calendarId && method === "PATCH") {
    return setCalendar(deps.state, account, calendarId, request);
  }
  return handlePushControl(deps, method, account, path, request);
}

async function addFault(deps: ControlDeps, request: Request): Promise<Response> {
  const body = await readControlBody(request);
  try {
    return reply({ id: deps.faults.add(parseFaultSpec(body)).id }, 201);
  } catch (error) {
    if (error instanceof FaultSpecError) return problem(400, error.message);
    throw error;
  }
}

async function route(request: Request, url: URL, deps: ControlDeps, parts: string[]) {
  const method = request.method;
  const [resource, id] = parts;
  const accountParam = url.searchParams.get("account");
  const account = accountParam ? normalizeEmail(accountParam) : undefined;

  if (resource === "faults" && parts.length === 1 && method === "POST") return addFault(deps, request);
  if (resource === "faults" && parts.length === 1 && method === "GET")
    return reply(deps.faults.list(account));
  if (resource === "faults" && parts.length === 2 && method === "DELETE" && id) {
    return deps.faults.remove(id) ? noContent() : problem(404, "no such fault");
  }
  if (resource === "calls" && parts.length === 1 && method === "GET") {
    return reply(deps.calls.list({ account, endpoint: url.searchParams.get("endpoint") ?? undefined }));
  }
  if (resource === "accounts" && parts.length === 1 && method === "GET")
    return reply([...deps.state.accounts.values()]);
  if (resource === "accounts" && parts.length >= 3 && id) {
    return accountRoute(deps, request, normalizeEmail(id), parts.slice(2));
  }
  if (resource === "calendars") return handlePeopleControl(deps, method, parts.slice(1), request);
  return undefined;
}

/** `/__emulator/...`: faults, per-account switches, calendars, people's actions and inspection, all JSON (see emulator/README.md). */
export async function handleControlRequest(request: Request, url: URL, deps: ControlDeps): Promise<Response> {
  if (request.method === "OPTIONS") return noContent();
  const parts = url.pathname.slice(CONTROL_PREFIX.length).split("/").filter(Boolean).map(decodePathSegment);
  if (parts.some((part) => part === undefined)) return problem(400, "malformed path");
  try {
    const response = await route(request, url, deps, parts as string[]);
    return response ?? problem(404, `no control route for ${request.method} ${url.pathname}`);
  } catch (error) {
    if (error instanceof ControlError) return problem(error.status, error.message);
    throw error;
  }
}
