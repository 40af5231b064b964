import { ProblemError } from "../http/problem";
import { sha256 } from "../tokens/crypto";

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const BASE32HEX = "0123456789abcdefghijklmnopqrstuv";

/** Checks an `Idempotency-Key` header: 1–255 visible ASCII characters. */
export function validateIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!KEY_PATTERN.test(key)) {
    throw new ProblemError("idempotency_key_invalid", {
      detail: "Idempotency-Key must be 1 to 255 visible ASCII characters.",
    });
  }
  return key;
}

/**
 * The Google event id for a create. With an idempotency key it is derived from (account, key), so a retry
 * can only ever reach the same Google event; without one it is random. Google allows base32hex ids.
 */
export async function googleEventIdFor(accountId: string, key: string | undefined): Promise<string> {
  const bytes = key
    ? await sha256(`calendar-edge:${accountId}:${key}`)
    : crypto.getRandomValues(new Uint8Array(20));
  return `ce${toBase32Hex(bytes.slice(0, 20))}`;
}

/** A stable fingerprint of a validated request body (keys sorted), to spot a key reused for another body. */
export async function fingerprint(value: unknown): Promise<string> {
  const digest = await sha256(canonicalJson(value));
  return toBase32Hex(digest);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function toBase32Hex(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32HEX[(buffer << (5 - bits)) & 31];
  return out;
}
