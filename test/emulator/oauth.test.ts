// Layer: Google emulator over fetch (outboundService): consent page, token endpoint, revoke, JWKS.
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { describe, it } from "vitest";
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_REDIRECT_URI } from "../support/constants";
import {
  AUTH_URL,
  approve,
  authorizationParams,
  authorize,
  CALENDAR_SCOPE,
  calendar,
  control,
  EMAIL_SCOPE,
  exchangeCode,
  JWKS_URL,
  pkcePair,
  REVOKE_URL,
  signInAtGoogle,
  type TokenSet,
  tokenRequest,
  uniqueEmail,
} from "./google-client";

const jwks = createRemoteJWKSet(new URL(JWKS_URL));

async function consentPage(overrides: Record<string, string | null> = {}) {
  const { challenge } = await pkcePair();
  const res = await fetch(`${AUTH_URL}?${authorizationParams(challenge, overrides)}`);
  return { res, html: await res.text() };
}

describe("consent page", () => {
  it("shows accounts, a checked box per non-basic scope, Allow/Deny, and the params as hidden inputs", async ({
    expect,
  }) => {
    const { res, html } = await consentPage({ state: "state-123" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(html).toContain('id="consent-form" method="post" action="/o/oauth2/v2/auth/approve"');
    expect(html).toMatch(
      /<input type="radio" name="email" id="account-0" value="alice@example.com" checked>/,
    );
    expect(html).toContain('name="other_email" id="other-email"');
    expect(html).toContain(
      `name="granted_scope" id="scope-calendar-events" value="${CALENDAR_SCOPE}" checked`,
    );
    expect(html).not.toContain('name="granted_scope" id="scope-openid"');
    expect(html).toContain('<input type="hidden" name="state" value="state-123">');
    expect(html).toContain('id="allow"');
    expect(html).toContain('id="deny"');
  });

  it("pre-fills another account from login_hint", async ({ expect }) => {
    const { html } = await consentPage({ login_hint: "someone@example.org" });
    expect(html).toContain('id="other-email" placeholder="someone@example.com" value="someone@example.org"');
  });

  for (const [name, overrides, status, error] of [
    ["unknown client", { client_id: "nope.apps.googleusercontent.com" }, 401, "invalid_client"],
    ["unregistered redirect_uri", { redirect_uri: "https://evil.test/cb" }, 400, "redirect_uri_mismatch"],
    ["missing response_type", { response_type: null }, 400, "invalid_request"],
    ["response_type token", { response_type: "token" }, 400, "invalid_request"],
    ["missing scope", { scope: null }, 400, "invalid_request"],
    ["unknown scope", { scope: "openid bogus" }, 400, "invalid_scope"],
    ["bad code_challenge_method", { code_challenge_method: "S512" }, 400, "invalid_request"],
  ] as const) {
    it(`${name} → an error page ${status} ${error}, never a redirect`, async ({ expect }) => {
      const { res, html } = await consentPage(overrides);
      expect(res.status).toBe(status);
      expect(res.headers.get("location")).toBeNull();
      expect(html).toContain(`data-error="${error}"`);
      expect(html).toContain(`Error ${status}: ${error}`);
    });
  }
});

describe("consent decision", () => {
  it("Allow redirects with code, expanded scopes, state, authuser and prompt", async ({ expect }) => {
    const { challenge } = await pkcePair();
    const params = authorizationParams(challenge, { state: "s-1" });
    const res = await approve(params, { email: uniqueEmail() });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(TEST_REDIRECT_URI);
    expect(location.searchParams.get("code")).toMatch(/^4\/0A/);
    expect(location.searchParams.get("state")).toBe("s-1");
    expect(location.searchParams.get("scope")?.split(" ")).toEqual(["openid", EMAIL_SCOPE, CALENDAR_SCOPE]);
    expect(location.searchParams.get("authuser")).toBe("0");
    expect(location.searchParams.get("prompt")).toBe("consent");
  });

  it("Deny redirects with error=access_denied and the state", async ({ expect }) => {
    const { challenge } = await pkcePair();
    const res = await approve(authorizationParams(challenge, { state: "s-2" }), {
      email: uniqueEmail(),
      decision: "deny",
    });
    const location = new URL(res.headers.get("location") ?? "");
    expect(res.status).toBe(302);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("s-2");
    expect(location.searchParams.has("code")).toBe(false);
  });

  it("an unticked calendar box grants only the sign-in scopes; calendar calls then get 403", async ({
    expect,
  }) => {
    const tokens = await signInAtGoogle(uniqueEmail(), { grantedScopes: [] });
    expect(tokens.scope.split(" ")).toEqual(["openid", EMAIL_SCOPE]);
    const res = await calendar("/calendars/primary/events", tokens.access_token);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { code: 403, status: "PERMISSION_DENIED", errors: [{ reason: "insufficientPermissions" }] },
    });
  });
});

describe("token endpoint: authorization_code", () => {
  it("exchanges a code with the right PKCE verifier, once", async ({ expect }) => {
    const email = uniqueEmail();
    const { code, verifier } = await authorize(email);
    const res = await exchangeCode(code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toContain("no-store");
    const tokens = (await res.json()) as TokenSet;
    expect(tokens).toMatchObject({
      expires_in: 3599,
      token_type: "Bearer",
      scope: `openid ${EMAIL_SCOPE} ${CALENDAR_SCOPE}`,
    });
    expect(tokens.access_token).toMatch(/^ya29\./);
    expect(tokens.refresh_token).toMatch(/^1\/\//);

    const again = await exchangeCode(code, verifier);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: "invalid_grant", error_description: "Bad Request" });
  });

  it("refuses a wrong or missing verifier, and the code still works with the right one", async ({
    expect,
  }) => {
    const { code, verifier } = await authorize(uniqueEmail());
    const wrong = await exchangeCode(code, (await pkcePair()).verifier);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({
      error: "invalid_grant",
      error_description: "Invalid code verifier.",
    });
    const missing = await tokenRequest({
      grant_type: "authorization_code",
      code,
      redirect_uri: TEST_REDIRECT_URI,
    });
    expect(await missing.json()).toEqual({
      error: "invalid_grant",
      error_description: "Missing code verifier.",
    });
    expect((await exchangeCode(code, verifier)).status).toBe(200);
  });

  it("answers invalid_grant 'Malformed auth code.' for an unknown code", async ({ expect }) => {
    const res = await exchangeCode("4/0Anot-a-code", (await pkcePair()).verifier);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_grant", error_description: "Malformed auth code." });
  });

  it("answers redirect_uri_mismatch when the redirect_uri differs from the consent's", async ({ expect }) => {
    const { code, verifier } = await authorize(uniqueEmail());
    const res = await exchangeCode(code, verifier, { redirect_uri: "https://calendar-edge.test/other/" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "redirect_uri_mismatch", error_description: "Bad Request" });
  });

  it("authenticates the client: wrong secret and unknown client → 401 invalid_client", async ({ expect }) => {
    const { code, verifier } = await authorize(uniqueEmail());
    const wrong = await exchangeCode(code, verifier, { client_secret: "wrong" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: "invalid_client", error_description: "Unauthorized" });
    const unknown = await exchangeCode(code, verifier, { client_id: "nope.apps.googleusercontent.com" });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({
      error: "invalid_client",
      error_description: "The OAuth client was not found.",
    });
  });

  it("accepts HTTP Basic client authentication", async ({ expect }) => {
    const { code, verifier } = await authorize(uniqueEmail());
    const res = await fetch("https://oauth2.googleapis.com/token", {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`${TEST_CLIENT_ID}:${TEST_CLIENT_SECRET}`)}` },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: TEST_REDIRECT_URI,
        code_verifier: verifier,
      }),
    });
    expect(res.status).toBe(200);
  });

  it("answers unsupported_grant_type for other grants", async ({ expect }) => {
    const res = await tokenRequest({ grant_type: "password" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("unsupported_grant_type");
  });

  it("issues no refresh token for online access", async ({ expect }) => {
    const { code, verifier } = await authorize(uniqueEmail(), { params: { access_type: "online" } });
    const tokens = (await (await exchangeCode(code, verifier)).json()) as TokenSet;
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeUndefined();
  });
});

describe("ID token", () => {
  it("verifies against the JWKS with Google's issuer, the client as audience and the account's claims", async ({
    expect,
  }) => {
    const email = uniqueEmail();
    const tokens = await signInAtGoogle(email);
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token ?? "", jwks, {
      issuer: "https://accounts.google.com",
      audience: TEST_CLIENT_ID,
    });
    expect(protectedHeader).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(payload).toMatchObject({ azp: TEST_CLIENT_ID, email, email_verified: true });
    expect(payload.sub).toMatch(/^\d{21}$/);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    // The same account always gets the same subject.
    const again = decodeJwt((await signInAtGoogle(email)).id_token ?? "");
    expect(again.sub).toBe(payload.sub);
  });

  it("publishes the JWKS with a cache lifetime", async ({ expect }) => {
    const res = await fetch(JWKS_URL);
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const { keys } = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", e: "AQAB" });
  });
});

describe("token endpoint: refresh_token", () => {
  it("gives a new access token and ID token, no new refresh token", async ({ expect }) => {
    const tokens = await signInAtGoogle(uniqueEmail());
    const res = await tokenRequest({
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token ?? "",
    });
    expect(res.status).toBe(200);
    const refreshed = (await res.json()) as TokenSet;
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeUndefined();
    expect(refreshed).toMatchObject({ expires_in: 3599, token_type: "Bearer", scope: tokens.scope });
    await jwtVerify(refreshed.id_token ?? "", jwks, { audience: TEST_CLIENT_ID });
  });

  it("answers invalid_grant for an unknown refresh token", async ({ expect }) => {
    const res = await tokenRequest({ grant_type: "refresh_token", refresh_token: "1//unknown" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "invalid_grant",
      error_description: "Token has been expired or revoked.",
    });
  });

  it("keeps working after the account's access tokens expire", async ({ expect }) => {
    const email = uniqueEmail();
    const tokens = await signInAtGoogle(email);
    await control(`/accounts/${encodeURIComponent(email)}/expire-tokens`, { method: "POST" });
    const expired = await calendar("/calendars/primary/events", tokens.access_token);
    expect(expired.status).toBe(401);
    const refreshed = (await (
      await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token ?? "" })
    ).json()) as TokenSet;
    expect((await calendar("/calendars/primary/events", refreshed.access_token)).status).toBe(200);
  });
});

describe("revoke", () => {
  it("revokes the whole grant: refresh → invalid_grant, calendar → 401, second revoke → invalid_token", async ({
    expect,
  }) => {
    const email = uniqueEmail();
    const tokens = await signInAtGoogle(email);
    const res = await fetch(REVOKE_URL, {
      method: "POST",
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});

    const refresh = await tokenRequest({
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token ?? "",
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe("invalid_grant");
    expect((await calendar("/calendars/primary/events", tokens.access_token)).status).toBe(401);

    const again = await fetch(`${REVOKE_URL}?token=${encodeURIComponent(tokens.refresh_token ?? "")}`, {
      method: "POST",
    });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({
      error: "invalid_token",
      error_description: "Token expired or revoked",
    });

    const grants = await (await control(`/accounts/${encodeURIComponent(email)}/grants`)).json();
    expect(grants).toEqual([
      {
        clientId: TEST_CLIENT_ID,
        scopes: ["openid", EMAIL_SCOPE, CALENDAR_SCOPE],
        refreshTokenIssued: true,
        revoked: true,
      },
    ]);
  });

  it("revoke-grants on the control surface has the same effect", async ({ expect }) => {
    const email = uniqueEmail();
    const tokens = await signInAtGoogle(email);
    const res = await control(`/accounts/${encodeURIComponent(email)}/revoke-grants`, { method: "POST" });
    expect(await res.json()).toEqual({ revoked: 1 });
    const refresh = await tokenRequest({
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token ?? "",
    });
    expect(refresh.status).toBe(400);
    // A new consent makes a new grant that works again.
    const fresh = await signInAtGoogle(email);
    expect((await calendar("/calendars/primary/events", fresh.access_token)).status).toBe(200);
  });
});
