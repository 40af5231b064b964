/**
 * Every key the Worker writes to the TOKENS namespace, in one place.
 *
 * | key                      | value                                                        | TTL        |
 * | ------------------------ | ------------------------------------------------------------ | ---------- |
 * | `oauth:state:<state>`    | JSON `OAuthStateRecord` (PKCE verifier, cookie hash, redirect) | 600 s      |
 * | `grant:<google sub>`     | JSON `Sealed` (AES-GCM) of `GrantRecord` (Google tokens)      | none       |
 * | `apitoken:<sha256 hex>`  | JSON `ApiTokenRecord` (account id, email); never the token    | none       |
 */
export const KV_KEYS = {
  oauthState: (state: string) => `oauth:state:${state}`,
  grant: (accountId: string) => `grant:${accountId}`,
  apiToken: (tokenHash: string) => `apitoken:${tokenHash}`,
} as const;

/** KV rejects an expirationTtl below 60 seconds. */
export const KV_MIN_EXPIRATION_TTL_SECONDS = 60;
