import * as z from "zod";
import { importEncryptionKey, openJson, type Sealed, sealJson } from "./crypto";
import { KV_KEYS } from "./kv-keys";

const GrantRecordSchema = z.object({
  accountId: z.string(),
  email: z.string(),
  accessToken: z.string(),
  /** Epoch milliseconds. */
  accessTokenExpiresAt: z.number(),
  refreshToken: z.string().nullable(),
  scopes: z.array(z.string()),
  /** Records written before the accounts table kept the state may still say `reauthorization_required`. */
  status: z.enum(["connected", "reauthorization_required"]),
  /** The `accounts.grant_version` this record was written for (0: written before versions existed). */
  grantVersion: z.number().int().nonnegative().default(0),
  updatedAt: z.string(),
});

/** One connected Google account's tokens, as kept (encrypted) in KV. */
export type GrantRecord = z.infer<typeof GrantRecordSchema>;

/** Reads and writes Google grants in KV, AES-GCM encrypted under TOKEN_ENCRYPTION_KEY. */
export interface TokenStore {
  get(accountId: string): Promise<GrantRecord | null>;
  put(record: GrantRecord): Promise<void>;
  delete(accountId: string): Promise<void>;
}

export function createTokenStore(kv: KVNamespace, encryptionKey: string): TokenStore {
  return {
    async get(accountId) {
      const key = KV_KEYS.grant(accountId);
      const sealed = await kv.get<Sealed>(key, "json");
      if (!sealed) return null;
      const cryptoKey = await importEncryptionKey(encryptionKey);
      return GrantRecordSchema.parse(await openJson(cryptoKey, sealed, key));
    },
    async put(record) {
      const key = KV_KEYS.grant(record.accountId);
      const cryptoKey = await importEncryptionKey(encryptionKey);
      await kv.put(key, JSON.stringify(await sealJson(cryptoKey, record, key)));
    },
    async delete(accountId) {
      await kv.delete(KV_KEYS.grant(accountId));
    },
  };
}
