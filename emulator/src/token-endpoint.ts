import { base64url } from "jose";
import type { EmulatorClient } from "./emulator.ts";
import { oauthErrorResponse } from "./google-errors.ts";
import { jsonResponse, parseBasicAuth, readForm } from "./http.ts";
import {
  applyClaimOverrides,
  buildIdTokenClaims,
  type ClaimOverrides,
  type IdTokenSigner,
} from "./id-tokens.ts";
import { randomString } from "./random.ts";
import { parseScopeParam, wantsIdToken } from "./scopes.ts";
import type { EmulatorState, Grant, IssuedToken } from "./state.ts";

const ACCESS_TOKEN_TTL_MS = 3600 * 1000;
const EXPIRES_IN_SECONDS = 3599;
const NO_STORE = { "cache-control": "no-cache, no-store, max-age=0, must-revalidate", pragma: "no-cache" };

/** Changes a fault makes to an otherwise real, successful token response. */
export interface TokenTweaks {
  idToken?: { claims?: ClaimOverrides; foreignKey?: boolean };
  omitRefreshToken?: boolean;
}

/** What the token endpoint needs. */
export interface TokenEndpointDeps {
  state: EmulatorState;
  signer: IdTokenSigner;
}

/** The account a token request acts for and its grant type, for fault matching and the call log. */
export function identifyTokenRequest(form: URLSearchParams, state: EmulatorState) {
  const grantType = form.get("grant_type") ?? undefined;
  const code = form.get("code");
  const refresh = form.get("refresh_token");
  let account: string | undefined;
  if (grantType === "authorization_code" && code) account = state.codes.get(code)?.account;
  if (grantType === "refresh_token" && refresh) account = state.refreshTokens.get(refresh)?.account;
  return { account, grantType };
}

type ClientCheck = { ok: true; client: EmulatorClient } | { ok: false; response: Response };

// Client authentication: HTTP Basic (client_secret_basic) or form fields (client_secret_post).
function authenticateClient(request: Request, form: URLSearchParams, state: EmulatorState): ClientCheck {
  const basic = parseBasicAuth(request.headers.get("authorization"));
  const clientId = basic?.id ?? form.get("client_id");
  const secret = basic?.secret ?? form.get("client_secret");
  if (!clientId) {
    return {
      ok: false,
      response: oauthErrorResponse(400, "invalid_request", "Could not determine client ID from request."),
    };
  }
  const client = state.clients.get(clientId);
  if (!client) {
    return {
      ok: false,
      response: oauthErrorResponse(401, "invalid_client", "The OAuth client was not found."),
    };
  }
  if (secret !== client.clientSecret) {
    return { ok: false, response: oauthErrorResponse(401, "invalid_client", "Unauthorized") };
  }
  return { ok: true, client };
}

async function pkceMatches(verifier: string, challenge: string, method: "S256" | "plain"): Promise<boolean> {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  if (method === "plain") return verifier === challenge;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url.encode(new Uint8Array(digest)) === challenge;
}

function issueAccessToken(state: EmulatorState, grant: Grant, scopes: string[]): IssuedToken {
  const token: IssuedToken = {
    token: `ya29.a0${randomString(150)}`,
    grantId: grant.id,
    account: grant.account,
    clientId: grant.clientId,
    scopes,
    expiresAt: state.now() + ACCESS_TOKEN_TTL_MS,
  };
  state.accessTokens.set(token.token, token);
  return token;
}

async function idTokenFor(
  deps: TokenEndpointDeps,
  access: IssuedToken,
  nonce: string | undefined,
  tweaks: TokenTweaks,
): Promise<string | undefined> {
  const account = deps.state.accounts.get(access.account);
  if (!account || !wantsIdToken(access.scopes)) return undefined;
  const claims = await buildIdTokenClaims({
    account,
    clientId: access.clientId,
    scopes: access.scopes,
    accessToken: access.token,
    ...(nonce ? { nonce } : {}),
    nowMs: deps.state.now(),
  });
  return deps.signer.sign(applyClaimOverrides(claims, tweaks.idToken?.claims), {
    foreignKey: tweaks.idToken?.foreignKey === true,
  });
}

async function exchangeCode(
  form: URLSearchParams,
  client: EmulatorClient,
  deps: TokenEndpointDeps,
  tweaks: TokenTweaks,
): Promise<Response> {
  const { state } = deps;
  const code = form.get("code");
  if (!code) return oauthErrorResponse(400, "invalid_request", "Missing required parameter: code");
  const record = state.codes.get(code);
  if (!record) return oauthErrorResponse(400, "invalid_grant", "Malformed auth code.");
  if (record.used || record.expiresAt <= state.now() || record.clientId !== client.clientId) {
    return oauthErrorResponse(400, "invalid_grant", "Bad Request");
  }
  const redirectUri = form.get("redirect_uri");
  if (!redirectUri)
    return oauthErrorResponse(400, "invalid_request", "Missing required parameter: redirect_uri");
  if (redirectUri !== record.redirectUri)
    return oauthErrorResponse(400, "redirect_uri_mismatch", "Bad Request");
  if (record.codeChallenge && record.codeChallengeMethod) {
    const verifier = form.get("code_verifier");
    if (!verifier) return oauthErrorResponse(400, "invalid_grant", "Missing code verifier.");
    if (!(await pkceMatches(verifier, record.codeChallenge, record.codeChallengeMethod))) {
      return oauthErrorResponse(400, "invalid_grant", "Invalid code verifier.");
    }
  }
  const grant = state.grants.get(record.grantId);
  if (!grant || grant.revoked)
    return oauthErrorResponse(400, "invalid_grant", "Token has been expired or revoked.");
  // Checked again after the awaits above: two concurrent exchanges of one code must not both succeed.
  if (record.used) return oauthErrorResponse(400, "invalid_grant", "Bad Request");
  record.used = true;

  const access = issueAccessToken(state, grant, record.scopes);
  let refreshToken: string | undefined;
  // Google only returns a refresh token for offline access, and again only when consent was prompted.
  if (
    record.accessType === "offline" &&
    (record.promptConsent || !grant.refreshTokenIssued) &&
    !tweaks.omitRefreshToken
  ) {
    refreshToken = `1//0${randomString(100)}`;
    state.refreshTokens.set(refreshToken, {
      ...access,
      token: refreshToken,
      expiresAt: Number.POSITIVE_INFINITY,
    });
    grant.refreshTokenIssued = true;
  }
  const idToken = await idTokenFor(deps, access, record.nonce, tweaks);
  return jsonResponse(
    {
      access_token: access.token,
      expires_in: EXPIRES_IN_SECONDS,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      scope: access.scopes.join(" "),
      token_type: "Bearer",
      ...(idToken ? { id_token: idToken } : {}),
    },
    200,
    NO_STORE,
  );
}

async function refreshAccessToken(
  form: URLSearchParams,
  client: EmulatorClient,
  deps: TokenEndpointDeps,
  tweaks: TokenTweaks,
): Promise<Response> {
  const { state } = deps;
  const token = form.get("refresh_token");
  if (!token) return oauthErrorResponse(400, "invalid_request", "Missing required parameter: refresh_token");
  const record = state.refreshTokens.get(token);
  const grant = record && state.grants.get(record.grantId);
  if (!record || !grant || grant.revoked) {
    return oauthErrorResponse(400, "invalid_grant", "Token has been expired or revoked.");
  }
  if (record.clientId !== client.clientId)
    return oauthErrorResponse(400, "unauthorized_client", "Unauthorized");
  let scopes = record.scopes;
  if (form.get("scope")) {
    const asked = parseScopeParam(form.get("scope"));
    if (asked.some((scope) => !record.scopes.includes(scope))) {
      return oauthErrorResponse(400, "invalid_scope", "Bad Request");
    }
    scopes = asked;
  }
  const access = issueAccessToken(state, grant, scopes);
  const idToken = await idTokenFor(deps, access, undefined, tweaks);
  return jsonResponse(
    {
      access_token: access.token,
      expires_in: EXPIRES_IN_SECONDS,
      scope: access.scopes.join(" "),
      token_type: "Bearer",
      ...(idToken ? { id_token: idToken } : {}),
    },
    200,
    NO_STORE,
  );
}

/** `POST /token`: authorization_code and refresh_token grants, with Google's error bodies. */
export async function handleTokenRequest(
  request: Request,
  deps: TokenEndpointDeps,
  tweaks: TokenTweaks = {},
): Promise<Response> {
  if (request.method !== "POST") {
    return new Response("Method Not Allowed", { status: 405, headers: { allow: "POST" } });
  }
  const form = await readForm(request);
  const auth = authenticateClient(request, form, deps.state);
  if (!auth.ok) return auth.response;
  const grantType = form.get("grant_type");
  if (grantType === "authorization_code") return exchangeCode(form, auth.client, deps, tweaks);
  if (grantType === "refresh_token") return refreshAccessToken(form, auth.client, deps, tweaks);
  return oauthErrorResponse(400, "unsupported_grant_type", `Invalid grant_type: ${grantType ?? ""}`);
}
