import * as z from "zod/mini";
import { importEncryptionKey, openJson, type Sealed, sealJson } from "./crypto";
import { KV_KEYS } from "./kv-keys";

const GrantRecordSchema = z.lazy(() =>
  z.object({
    accountId: z.string(),
    email: z.string(),
    accessToken: z.string(),
    /** Epoch milliseconds. */
    accessTokenExpiresAt: z.number(),
    refreshToken: z.nullable(z.string()),
    scopes: z.array(z.string()),
    /** Records written before the accounts table kept the state may still say `reauthorization_required`. */
    status: z.enum(["connected", "reauthorization_required"]),
    /** The `accounts.grant_version` this record was written for (0: written before versions existed). */
    grantVersion: z._default(z.number().check(z.int(), z.nonnegative()), 0),
    updatedAt: z.string(),
  }),
);

/** One connected Google account's tokens, as kept (encrypted) in KV. */
export type GrantRecord = z.infer<typeof GrantRecordSchema>;

/** Reads and writes Google grants in KV, AES-GCM encrypted under TOKEN_ENCRYPTION_KEY. */
export interface TokenStore {
  /**
   * The account's grant. Served from this isolate's memory for up to a minute unless `fresh`: a grant
   * changed by another isolate (refreshed, revoked, reconnected) is seen late, which is safe because
   * Google refuses a revoked token (401) and the retry after that asks with `fresh`.
   */
  get(accountId: string, options?: { fresh?: boolean }): Promise<GrantRecord | null>;
  put(record: GrantRecord): Promise<void>;
  delete(accountId: string): Promise<void>;
}

// Decrypted grants read recently in this isolate: saves a KV read, a decryption and a parse on most
// Google calls. Bounded; dropped on every write or delete made here.
const RECENT_TTL_MS = 60_000;
const RECENT_MAX = 5_000;
const recent = new Map<string, { grant: GrantRecord; until: number }>();

export function createTokenStore(kv: KVNamespace, encryptionKey: string): TokenStore {
  const remember = (grant: GrantRecord) => {
    if (recent.size >= RECENT_MAX) recent.clear();
    recent.set(grant.accountId, { grant, until: Date.now() + RECENT_TTL_MS });
  };
  return {
    async get(accountId, options = {}) {
      const hit = recent.get(accountId);
      if (!options.fresh && hit && hit.until > Date.now()) return hit.grant;
      const key = KV_KEYS.grant(accountId);
      const sealed = await kv.get<Sealed>(key, "json");
      if (!sealed) {
        recent.delete(accountId);
        return null;
      }
      const cryptoKey = await importEncryptionKey(encryptionKey);
      const grant = GrantRecordSchema.parse(await openJson(cryptoKey, sealed, key));
      remember(grant);
      return grant;
    },
    async put(record) {
      const key = KV_KEYS.grant(record.accountId);
      const cryptoKey = await importEncryptionKey(encryptionKey);
      recent.delete(record.accountId);
      await kv.put(key, JSON.stringify(await sealJson(cryptoKey, record, key)));
      remember(record);
    },
    async delete(accountId) {
      recent.delete(accountId);
      await kv.delete(KV_KEYS.grant(accountId));
    },
  };
}
