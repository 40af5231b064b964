import * as z from "zod/mini";
import type { Account } from "../types";
import { randomToken, sha256Hex, timingSafeEqual } from "./crypto";
import { KV_KEYS } from "./kv-keys";

/** Every API token starts with this, so leaked ones are easy to recognise and scan for. */
export const API_TOKEN_PREFIX = "cek_";
const API_TOKEN_PATTERN = /^cek_[A-Za-z0-9_-]{43}$/;

const ApiTokenRecordSchema = z.lazy(() =>
  z.object({
    accountId: z.string(),
    email: z.string(),
    tokenHash: z.string(),
    createdAt: z.string(),
  }),
);

/** Issues a new opaque API token for the account; only its SHA-256 hash is stored. */
export async function issueApiToken(kv: KVNamespace, account: Account): Promise<string> {
  const token = `${API_TOKEN_PREFIX}${randomToken(32)}`;
  const tokenHash = await sha256Hex(token);
  const record = {
    accountId: account.id,
    email: account.email,
    tokenHash,
    createdAt: new Date().toISOString(),
  };
  await kv.put(KV_KEYS.apiToken(tokenHash), JSON.stringify(record));
  return token;
}

// Recently seen tokens, per isolate: API tokens never change once issued, so a hit saves a KV read on
// every request. Only found tokens are kept (an unknown token always asks KV), for a minute, bounded.
const RECENT_TTL_MS = 60_000;
const RECENT_MAX = 5_000;
const recent = new Map<string, { account: Account; until: number }>();

/** The account a presented API token belongs to (and the token's hash, its stable id), or null. */
export async function findAccountByApiToken(
  kv: KVNamespace,
  token: string,
): Promise<{ account: Account; tokenHash: string } | null> {
  if (!API_TOKEN_PATTERN.test(token)) return null;
  const tokenHash = await sha256Hex(token);
  const hit = recent.get(tokenHash);
  if (hit && hit.until > Date.now()) return { account: hit.account, tokenHash };
  const parsed = ApiTokenRecordSchema.safeParse(await kv.get(KV_KEYS.apiToken(tokenHash), "json"));
  // The lookup is by hash; comparing the stored hash in constant time guards against a store that
  // answers for near-matches (never trust the index alone).
  if (!parsed.success || !timingSafeEqual(parsed.data.tokenHash, tokenHash)) return null;
  const account = { id: parsed.data.accountId, email: parsed.data.email };
  if (recent.size >= RECENT_MAX) recent.clear();
  recent.set(tokenHash, { account, until: Date.now() + RECENT_TTL_MS });
  return { account, tokenHash };
}
