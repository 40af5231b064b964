import { ApiError, invalidValue } from "./google-errors.ts";

/**
 * What a sync or page token carries. `scope` is the calendar id (events) or the account (calendar list);
 * `generation` is the sync generation it was issued in; `position` is a change number or a list offset.
 */
export interface TokenPayload {
  kind: "sync" | "sync-page" | "page";
  scope: string;
  generation: number;
  position: number;
  /** Page tokens of a full listing: the change number the listing started at (its final nextSyncToken). */
  snapshot?: number;
}

const KIND_CODES = { sync: "s", "sync-page": "q", page: "p" } as const;
const FULL_SYNC_MESSAGE = "Sync token is no longer valid, a full sync is required.";

/** An opaque token in standard base64 with padding, like Google's (so clients must URL-encode it). */
export function encodeToken(payload: TokenPayload): string {
  const fields = [
    KIND_CODES[payload.kind],
    payload.scope,
    payload.generation,
    payload.position,
    payload.snapshot ?? "",
  ];
  const bytes = new TextEncoder().encode(JSON.stringify(fields));
  return btoa(String.fromCharCode(...bytes));
}

/** The payload of a token, or undefined when it is not one the emulator issued. */
export function decodeToken(token: string): TokenPayload | undefined {
  let fields: unknown;
  try {
    const binary = atob(token);
    fields = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 5) return undefined;
  const [code, scope, generation, position, snapshot] = fields;
  const kind = (Object.keys(KIND_CODES) as Array<TokenPayload["kind"]>).find((k) => KIND_CODES[k] === code);
  if (!kind || typeof scope !== "string" || !Number.isInteger(generation) || !Number.isInteger(position)) {
    return undefined;
  }
  if (snapshot !== "" && !Number.isInteger(snapshot)) return undefined;
  return {
    kind,
    scope,
    generation,
    position,
    ...(snapshot === "" ? {} : { snapshot: snapshot as number }),
  };
}

/** 410 `fullSyncRequired`, Google's answer to an expired sync token. */
export function fullSyncRequired(): ApiError {
  return new ApiError(410, { domain: "calendar", reason: "fullSyncRequired", message: FULL_SYNC_MESSAGE });
}

/** A `syncToken` parameter for this scope, or 400 `invalid` (malformed, other scope) / 410 (expired). */
export function readSyncToken(token: string, scope: string, currentGeneration: number): TokenPayload {
  const payload = decodeToken(token);
  if (payload?.kind !== "sync" || payload.scope !== scope) {
    throw invalidValue("Invalid sync token value.");
  }
  if (payload.generation < currentGeneration) throw fullSyncRequired();
  return payload;
}

/** A `pageToken` parameter for this scope, or 400 `invalid`; a page of an expired sync answers 410. */
export function readPageToken(token: string, scope: string, currentGeneration: number): TokenPayload {
  const payload = decodeToken(token);
  if (!payload || payload.kind === "sync" || payload.scope !== scope) {
    throw invalidValue("Invalid page token value.");
  }
  if (payload.kind === "sync-page" && payload.generation < currentGeneration) throw fullSyncRequired();
  return payload;
}
