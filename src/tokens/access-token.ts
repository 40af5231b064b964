import { adoptLegacyAccount, findAccountRow, updateScopes } from "../accounts/accounts-repo";
import { grantDied } from "../accounts/connection";
import type { Config } from "../config";
import type { Db } from "../db/client";
import { GoogleOAuthError, refreshAccessToken } from "../google/oauth-endpoints";
import { reauthorizationRequired } from "../http/problem";
import { hasScopeFor, parseScopes, requireScopeFor, type ScopedFeature } from "../oauth/scopes";
import type { WebhookJob } from "../webhooks/delivery-queue";
import type { GrantRecord, TokenStore } from "./token-store";

/** Refresh this long before Google's stated expiry, so a token never dies mid-request. */
export const REFRESH_MARGIN_MS = 60_000;

export interface AccessTokenDeps {
  config: Config;
  tokens: TokenStore;
  db: Db;
  /** Where a dead grant's `account.reauthorization_required` webhooks go at once (else the cron sweep). */
  webhookQueue?: Queue<WebhookJob>;
}

/**
 * A valid Google access token for the account: the stored one, or a refreshed one (saved). A dead grant
 * (`invalid_grant`) is recorded as `reauthorization_required` and never retried; other token-endpoint
 * errors are 502s naming Google's code. `force` refreshes even a fresh-looking token (after a 401).
 */
export async function getAccessToken(
  deps: AccessTokenDeps,
  accountId: string,
  options: { force?: boolean } = {},
): Promise<string> {
  // After Google refused a token (force), only KV's own copy counts: another isolate may have changed it.
  const grant = await deps.tokens.get(accountId, { fresh: options.force === true });
  if (!grant) throw notConnected();
  if (grant.status === "reauthorization_required") throw reauthorizationRequired();
  if (!options.force && grant.accessTokenExpiresAt - REFRESH_MARGIN_MS > Date.now()) return grant.accessToken;
  return (await refreshGrant(deps, grant)).accessToken;
}

/**
 * 403 `insufficient_scope` unless the account's grant allows the feature. A remembered grant that lacks
 * the scope is read again first: the user may just have reconnected (in another isolate) to add it.
 */
export async function requireGrantedScope(
  deps: AccessTokenDeps,
  accountId: string,
  feature: ScopedFeature,
): Promise<void> {
  const remembered = (await deps.tokens.get(accountId))?.scopes ?? [];
  if (hasScopeFor(feature, remembered)) return;
  requireScopeFor(feature, (await deps.tokens.get(accountId, { fresh: true }))?.scopes ?? []);
}

async function refreshGrant(deps: AccessTokenDeps, grant: GrantRecord): Promise<GrantRecord> {
  if (!grant.refreshToken) return markDead(deps, grant);
  let tokens: Awaited<ReturnType<typeof refreshAccessToken>>;
  try {
    tokens = await refreshAccessToken(deps.config, grant.refreshToken);
  } catch (err) {
    if (err instanceof GoogleOAuthError) {
      if (err.error === "invalid_grant") return markDead(deps, grant);
      throw err.toProblem();
    }
    throw err;
  }
  const refreshed: GrantRecord = {
    ...grant,
    accessToken: tokens.access_token,
    accessTokenExpiresAt: Date.now() + tokens.expires_in * 1000,
    refreshToken: tokens.refresh_token ?? grant.refreshToken,
    scopes: tokens.scope ? parseScopes(tokens.scope) : grant.scopes,
    updatedAt: new Date().toISOString(),
  };
  // Written back only while D1 still says this grant is the connected one: a copy read just before a
  // disconnect (or a newer consent) must not be brought back into KV.
  const account = await accountOf(deps.db, grant);
  if (account?.status !== "connected" || account.grantVersion !== grant.grantVersion) {
    return refreshed;
  }
  await deps.tokens.put(refreshed);
  if (refreshed.scopes.join(" ") !== grant.scopes.join(" ")) {
    await updateScopes(deps.db, grant.accountId, refreshed.scopes);
  }
  return refreshed;
}

async function markDead(deps: AccessTokenDeps, grant: GrantRecord): Promise<never> {
  const account = await accountOf(deps.db, grant);
  await grantDied(deps, grant);
  if (account?.status === "disconnected") throw notConnected();
  throw reauthorizationRequired();
}

/** The account's D1 row; an account connected before that table existed gets one from its grant. */
async function accountOf(db: Db, grant: GrantRecord) {
  return (
    (await findAccountRow(db, grant.accountId)) ??
    adoptLegacyAccount(db, { ...grant, dead: grant.status === "reauthorization_required" })
  );
}

function notConnected() {
  return reauthorizationRequired(
    "No Google account is connected. Open /api/google-auth/ to connect your calendar.",
  );
}
