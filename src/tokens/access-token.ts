import type { Config } from "../config";
import { GoogleOAuthError, refreshAccessToken } from "../google/oauth-endpoints";
import { reauthorizationRequired } from "../http/problem";
import { parseScopes } from "../oauth/scopes";
import type { GrantRecord, TokenStore } from "./token-store";

/** Refresh this long before Google's stated expiry, so a token never dies mid-request. */
export const REFRESH_MARGIN_MS = 60_000;

export interface AccessTokenDeps {
  config: Config;
  tokens: TokenStore;
}

/**
 * A valid Google access token for the account: the stored one, or a refreshed one (saved). A dead grant
 * (`invalid_grant`) is remembered as `reauthorization_required` and never retried; other token-endpoint
 * errors are 502s naming Google's code. `force` refreshes even a fresh-looking token (after a 401).
 */
export async function getAccessToken(
  deps: AccessTokenDeps,
  accountId: string,
  options: { force?: boolean } = {},
): Promise<string> {
  const grant = await deps.tokens.get(accountId);
  if (!grant) {
    throw reauthorizationRequired(
      "No Google account is connected. Open /api/google-auth/ to connect your calendar.",
    );
  }
  if (grant.status === "reauthorization_required") throw reauthorizationRequired();
  if (!options.force && grant.accessTokenExpiresAt - REFRESH_MARGIN_MS > Date.now()) return grant.accessToken;
  return (await refreshGrant(deps, grant)).accessToken;
}

async function refreshGrant(deps: AccessTokenDeps, grant: GrantRecord): Promise<GrantRecord> {
  if (!grant.refreshToken) return markDead(deps, grant);
  try {
    const tokens = await refreshAccessToken(deps.config, grant.refreshToken);
    const refreshed: GrantRecord = {
      ...grant,
      accessToken: tokens.access_token,
      accessTokenExpiresAt: Date.now() + tokens.expires_in * 1000,
      refreshToken: tokens.refresh_token ?? grant.refreshToken,
      scopes: tokens.scope ? parseScopes(tokens.scope) : grant.scopes,
      updatedAt: new Date().toISOString(),
    };
    await deps.tokens.put(refreshed);
    return refreshed;
  } catch (err) {
    if (err instanceof GoogleOAuthError) {
      if (err.error === "invalid_grant") return markDead(deps, grant);
      throw err.toProblem();
    }
    throw err;
  }
}

async function markDead(deps: AccessTokenDeps, grant: GrantRecord): Promise<never> {
  await deps.tokens.put({
    ...grant,
    status: "reauthorization_required",
    updatedAt: new Date().toISOString(),
  });
  throw reauthorizationRequired();
}
