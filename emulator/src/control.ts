import type { CallLog } from "./call-log.ts";
import { FaultSpecError, type FaultStore, parseFaultSpec } from "./faults.ts";
import { decodePathSegment, jsonResponse } from "./http.ts";
import { type EmulatorState, normalizeEmail } from "./state.ts";

/** Path prefix of the control surface. */
export const CONTROL_PREFIX = "/__emulator";

/** What the control surface reads and changes. */
export interface ControlDeps {
  state: EmulatorState;
  faults: FaultStore;
  calls: CallLog;
}

// The dev UI on :8787 calls the emulator on :8788, so the control surface allows any origin.
const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-headers": "content-type",
};

function reply(body: unknown, status = 200): Response {
  return jsonResponse(body, status, CORS);
}

function problem(status: number, message: string): Response {
  return reply({ error: message }, status);
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

function accountRoute(deps: ControlDeps, method: string, account: string, action: string): Response {
  if (method === "POST" && action === "expire-tokens") return expireTokens(deps, account);
  if (method === "POST" && action === "revoke-grants") return revokeGrants(deps, account);
  if (method === "GET" && action === "events")
    return reply([...(deps.state.events.get(account)?.values() ?? [])]);
  if (method === "GET" && action === "grants") {
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
  return problem(404, `no control route for ${method} ${action}`);
}

async function addFault(deps: ControlDeps, request: Request): Promise<Response> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return problem(400, "the body must be JSON");
  }
  try {
    return reply({ id: deps.faults.add(parseFaultSpec(body)).id }, 201);
  } catch (error) {
    if (error instanceof FaultSpecError) return problem(400, error.message);
    throw error;
  }
}

/** `/__emulator/...`: faults, per-account switches and inspection, all JSON (see emulator/README.md). */
export async function handleControlRequest(request: Request, url: URL, deps: ControlDeps): Promise<Response> {
  const method = request.method;
  if (method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
  const parts = url.pathname.slice(CONTROL_PREFIX.length).split("/").filter(Boolean).map(decodePathSegment);
  if (parts.some((part) => part === undefined)) return problem(400, "malformed path");
  const [resource, id, action] = parts;
  const accountParam = url.searchParams.get("account");
  const account = accountParam ? normalizeEmail(accountParam) : undefined;

  if (resource === "faults" && parts.length === 1 && method === "POST") return addFault(deps, request);
  if (resource === "faults" && parts.length === 1 && method === "GET")
    return reply(deps.faults.list(account));
  if (resource === "faults" && parts.length === 2 && method === "DELETE" && id) {
    return deps.faults.remove(id)
      ? new Response(null, { status: 204, headers: CORS })
      : problem(404, "no such fault");
  }
  if (resource === "calls" && parts.length === 1 && method === "GET") {
    return reply(deps.calls.list({ account, endpoint: url.searchParams.get("endpoint") ?? undefined }));
  }
  if (resource === "accounts" && parts.length === 1 && method === "GET")
    return reply([...deps.state.accounts.values()]);
  if (resource === "accounts" && parts.length === 3 && id && action) {
    return accountRoute(deps, method, normalizeEmail(id), action);
  }
  return problem(404, `no control route for ${method} ${url.pathname}`);
}
