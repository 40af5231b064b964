import { Hono } from "hono";
import { disconnectAccount } from "../accounts/connection";
import { depsFromContext } from "../deps";
import { revokeGrant } from "../google/oauth-endpoints";
import { requireApiToken } from "../http/api-auth";
import { wantsJson } from "../http/negotiate";
import { enforceRateLimit } from "../http/rate-limit";
import { buildAuthorizationUrl, resolveRedirectUri } from "../oauth/authorize";
import { setBindingCookie } from "../oauth/binding-cookie";
import { createOAuthState } from "../oauth/state-store";
import { stopFollowing } from "../sync/follow-account";
import type { AppEnv } from "../types";

/** Starting a consent (public), and revoking the connected grant (API token). */
export const googleAuthRoutes = new Hono<AppEnv>()
  .get("/api/google-auth", async (c) => {
    await enforceRateLimit(
      c.env.CONSENT_RATE_LIMITER,
      `ip:${c.req.header("cf-connecting-ip") ?? "unknown"}`,
      "client",
    );
    const config = c.get("config");
    const redirectUri = resolveRedirectUri(config, c.req.url);
    const { state, codeVerifier, browserBinding } = await createOAuthState(c.env.TOKENS, redirectUri);
    const authorizationUrl = await buildAuthorizationUrl(config, { state, codeVerifier, redirectUri });
    setBindingCookie(c, browserBinding);
    c.header("cache-control", "no-store");
    if (wantsJson(c)) return c.json({ authorization_url: authorizationUrl });
    return c.redirect(authorizationUrl, 302);
  })
  .post("/api/google-auth/revoke", requireApiToken, async (c) => {
    const deps = depsFromContext(c);
    const account = c.get("account");
    const grant = await deps.tokens.get(account.id);
    if (grant) {
      // Google's channels are stopped first, while the tokens still work; a failure there is logged, not fatal.
      await stopFollowing(deps, account.id).catch(() => undefined);
      // Revoking the refresh token ends the whole grant at Google (and its access tokens).
      await revokeGrant(deps.config, grant.refreshToken ?? grant.accessToken);
    }
    await disconnectAccount(deps, account.id);
    return c.body(null, 204);
  });
