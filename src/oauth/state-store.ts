import * as z from "zod/mini";
import { ProblemError } from "../http/problem";
import { randomToken, sha256Hex, timingSafeEqual } from "../tokens/crypto";
import { KV_KEYS } from "../tokens/kv-keys";

/** How long a consent may take, end to end. */
export const OAUTH_STATE_TTL_SECONDS = 600;

const OAuthStateRecordSchema = z.lazy(() =>
  z.object({
    codeVerifier: z.string(),
    bindingHash: z.string(),
    redirectUri: z.string(),
    createdAt: z.number(),
  }),
);

/** What the callback needs from the start of the flow. */
export type OAuthStateRecord = z.infer<typeof OAuthStateRecordSchema>;

export interface NewOAuthState {
  state: string;
  codeVerifier: string;
  /** Goes into the browser's cookie; only its hash is stored, next to the state. */
  browserBinding: string;
}

/**
 * Starts a consent: a random state and PKCE verifier kept in KV for 10 minutes. The verifier never leaves
 * the server; the state is bound to this browser by a random value whose hash sits in the record.
 */
export async function createOAuthState(kv: KVNamespace, redirectUri: string): Promise<NewOAuthState> {
  const state = randomToken(32);
  const codeVerifier = randomToken(48);
  const browserBinding = randomToken(32);
  const record: OAuthStateRecord = {
    codeVerifier,
    bindingHash: await sha256Hex(browserBinding),
    redirectUri,
    createdAt: Date.now(),
  };
  await kv.put(KV_KEYS.oauthState(state), JSON.stringify(record), { expirationTtl: OAUTH_STATE_TTL_SECONDS });
  return { state, codeVerifier, browserBinding };
}

/**
 * Takes a state back exactly once. Missing, unknown (tampered), expired, already used, or presented by a
 * browser without the matching cookie: all a 400 `invalid_oauth_state`.
 */
export async function consumeOAuthState(
  kv: KVNamespace,
  state: string | undefined,
  browserBinding: string | undefined,
): Promise<OAuthStateRecord> {
  if (!state || state.length > 128 || !/^[A-Za-z0-9_-]+$/.test(state)) {
    throw invalidState("The state parameter is missing or malformed.");
  }
  const key = KV_KEYS.oauthState(state);
  const parsed = OAuthStateRecordSchema.safeParse(await kv.get(key, "json"));
  if (!parsed.success) {
    throw invalidState("This sign-in link is unknown, expired or was already used. Start again.");
  }
  const record = parsed.data;
  if (!browserBinding || !timingSafeEqual(await sha256Hex(browserBinding), record.bindingHash)) {
    // Not deleted: the rightful browser may still complete its own flow.
    throw invalidState("This sign-in was started in another browser. Start again from this one.");
  }
  await kv.delete(key);
  if (Date.now() - record.createdAt > OAUTH_STATE_TTL_SECONDS * 1000) {
    throw invalidState("This sign-in link has expired. Start again.");
  }
  return record;
}

function invalidState(detail: string): ProblemError {
  return new ProblemError("invalid_oauth_state", { detail });
}
