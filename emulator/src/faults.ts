import { defaultErrorResponse, type ErrorDialect } from "./google-errors.ts";
import { jsonResponse, sleep } from "./http.ts";
import { normalizeEmail } from "./state.ts";

/** Endpoints a fault can target. */
export const FAULT_ENDPOINTS = [
  "auth",
  "token",
  "revoke",
  "certs",
  "events.insert",
  "events.get",
  "events.list",
  "events.patch",
  "events.update",
  "events.delete",
  "events.watch",
  "channels.stop",
  "freebusy.query",
  "calendarList.list",
  "calendarList.get",
] as const;

/** One of `FAULT_ENDPOINTS`. */
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

/** A fault as posted to `POST /__emulator/faults` (see emulator/README.md). */
export interface FaultSpec {
  endpoint: FaultEndpoint;
  account?: string;
  grantType?: "authorization_code" | "refresh_token";
  times: number;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  drop?: boolean;
  afterRealCall?: boolean;
  idToken?: { claims?: Record<string, unknown>; foreignKey?: boolean };
  omitRefreshToken?: boolean;
}

/** A registered fault and how many more calls it will answer. */
export interface Fault extends FaultSpec {
  id: string;
  remaining: number;
}

/** Thrown by `parseFaultSpec` with a message for the 400 answer. */
export class FaultSpecError extends Error {}

const KEYS = new Set([
  "endpoint",
  "account",
  "grantType",
  "times",
  "status",
  "body",
  "headers",
  "delayMs",
  "drop",
  "afterRealCall",
  "idToken",
  "omitRefreshToken",
]);
const MAX_DELAY_MS = 120_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalBoolean(spec: Record<string, unknown>, name: string): boolean | undefined {
  const value = spec[name];
  if (value !== undefined && typeof value !== "boolean")
    throw new FaultSpecError(`${name} must be a boolean`);
  return value as boolean | undefined;
}

/** Validates a posted fault; unknown fields are refused so a typo cannot silently do nothing. */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (!isObject(value)) throw new FaultSpecError("the body must be a JSON object");
  const unknown = Object.keys(value).filter((key) => !KEYS.has(key));
  if (unknown.length > 0) throw new FaultSpecError(`unknown field(s): ${unknown.join(", ")}`);
  const endpoint = value.endpoint;
  if (typeof endpoint !== "string" || !(FAULT_ENDPOINTS as readonly string[]).includes(endpoint)) {
    throw new FaultSpecError(`endpoint must be one of ${FAULT_ENDPOINTS.join(", ")}`);
  }
  const spec: FaultSpec = { endpoint: endpoint as FaultEndpoint, times: 1 };
  if (value.account !== undefined) {
    if (typeof value.account !== "string" || !value.account.includes("@")) {
      throw new FaultSpecError("account must be an email address");
    }
    spec.account = normalizeEmail(value.account);
  }
  const tokenOnly = (name: string) => {
    if (spec.endpoint !== "token") throw new FaultSpecError(`${name} applies to the token endpoint only`);
  };
  if (value.grantType !== undefined) {
    tokenOnly("grantType");
    if (value.grantType !== "authorization_code" && value.grantType !== "refresh_token") {
      throw new FaultSpecError("grantType must be authorization_code or refresh_token");
    }
    spec.grantType = value.grantType;
  }
  if (value.times !== undefined) {
    if (!Number.isInteger(value.times) || (value.times as number) < 1) {
      throw new FaultSpecError("times must be a positive integer");
    }
    spec.times = value.times as number;
  }
  if (value.status !== undefined) {
    if (!Number.isInteger(value.status) || (value.status as number) < 200 || (value.status as number) > 599) {
      throw new FaultSpecError("status must be an integer from 200 to 599");
    }
    spec.status = value.status as number;
  }
  if (value.body !== undefined) spec.body = value.body;
  if (value.headers !== undefined) {
    if (!isObject(value.headers) || Object.values(value.headers).some((v) => typeof v !== "string")) {
      throw new FaultSpecError("headers must be an object of strings");
    }
    spec.headers = value.headers as Record<string, string>;
  }
  if (value.delayMs !== undefined) {
    if (typeof value.delayMs !== "number" || value.delayMs < 0 || value.delayMs > MAX_DELAY_MS) {
      throw new FaultSpecError(`delayMs must be a number from 0 to ${MAX_DELAY_MS}`);
    }
    spec.delayMs = value.delayMs;
  }
  const drop = optionalBoolean(value, "drop");
  if (drop !== undefined) spec.drop = drop;
  const afterRealCall = optionalBoolean(value, "afterRealCall");
  if (afterRealCall !== undefined) spec.afterRealCall = afterRealCall;
  if (value.idToken !== undefined) {
    tokenOnly("idToken");
    const idToken = value.idToken;
    if (!isObject(idToken) || (idToken.claims !== undefined && !isObject(idToken.claims))) {
      throw new FaultSpecError("idToken must be { claims?: object, foreignKey?: boolean }");
    }
    const foreignKey = optionalBoolean(idToken, "foreignKey");
    spec.idToken = {
      ...(isObject(idToken.claims) ? { claims: idToken.claims } : {}),
      ...(foreignKey !== undefined ? { foreignKey } : {}),
    };
  }
  const omitRefreshToken = optionalBoolean(value, "omitRefreshToken");
  if (omitRefreshToken !== undefined) {
    tokenOnly("omitRefreshToken");
    spec.omitRefreshToken = omitRefreshToken;
  }
  if (spec.drop && spec.status !== undefined) throw new FaultSpecError("drop and status exclude each other");
  const effects = [spec.status, spec.drop, spec.delayMs, spec.headers, spec.idToken, spec.omitRefreshToken];
  if (effects.every((effect) => effect === undefined || effect === false)) {
    throw new FaultSpecError("a fault needs status, drop, delayMs, headers, idToken or omitRefreshToken");
  }
  return spec;
}

/** Registered faults, matched in the order they were added. */
export interface FaultStore {
  add(spec: FaultSpec): Fault;
  remove(id: string): boolean;
  list(account?: string): Fault[];
  /** The first fault matching this call, with one use consumed. */
  take(
    endpoint: FaultEndpoint,
    account: string | undefined,
    grantType: string | undefined,
  ): Fault | undefined;
}

/** An empty fault store. */
export function createFaultStore(): FaultStore {
  const faults: Fault[] = [];
  return {
    add(spec) {
      const fault: Fault = { ...spec, id: crypto.randomUUID(), remaining: spec.times };
      faults.push(fault);
      return fault;
    },
    remove(id) {
      const index = faults.findIndex((fault) => fault.id === id);
      if (index >= 0) faults.splice(index, 1);
      return index >= 0;
    },
    list(account) {
      return faults.filter((fault) => account === undefined || fault.account === account);
    },
    take(endpoint, account, grantType) {
      const index = faults.findIndex(
        (fault) =>
          fault.endpoint === endpoint &&
          (fault.account === undefined || fault.account === account) &&
          (fault.grantType === undefined || fault.grantType === grantType),
      );
      const fault = faults[index];
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults.splice(index, 1);
      return fault;
    },
  };
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

function faultResponse(fault: Fault, status: number, dialect: ErrorDialect): Response {
  if (NULL_BODY_STATUSES.has(status)) return new Response(null, { status });
  if (fault.body === undefined) return defaultErrorResponse(dialect, status);
  if (typeof fault.body === "string") {
    return new Response(fault.body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
  return jsonResponse(fault.body, status);
}

function withHeaders(response: Response, headers: Record<string, string>): Response {
  const merged = new Headers(response.headers);
  for (const [name, value] of Object.entries(headers)) merged.set(name, value);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: merged,
  });
}

/**
 * How a `drop` fault fails the call. `"throw"`: `fetch` rejects with a TypeError, for callers of
 * `emulator.fetch` in-process. `"unparseable-response"`: a response whose head no HTTP client accepts (its
 * Content-Length is not a number); Miniflare's outboundService turns a thrown error into a 500, but writes this
 * head to workerd, whose `fetch` then rejects with "Network connection lost.", as on a dropped connection.
 */
export type DropStyle = "throw" | "unparseable-response";

function droppedConnection(style: DropStyle): Response {
  const lost = () => new TypeError("Network connection lost.");
  if (style === "throw") throw lost();
  const body = new ReadableStream({
    pull(controller) {
      controller.error(lost());
    },
  });
  return new Response(body, { status: 200, headers: { "content-length": "connection-dropped" } });
}

/**
 * Answers a call under a fault. With `afterRealCall` the real operation runs first; then the delay; then a
 * drop, the fault's status, or else the real answer (run now if it has not run yet).
 */
export async function answerWithFault(
  fault: Fault | undefined,
  dialect: ErrorDialect,
  dropStyle: DropStyle,
  perform: () => Promise<Response>,
): Promise<Response> {
  if (!fault) return perform();
  const early = fault.afterRealCall ? await perform() : undefined;
  if (fault.delayMs) await sleep(fault.delayMs);
  if (fault.drop) return droppedConnection(dropStyle);
  const response =
    fault.status !== undefined ? faultResponse(fault, fault.status, dialect) : (early ?? (await perform()));
  return fault.headers ? withHeaders(response, fault.headers) : response;
}
