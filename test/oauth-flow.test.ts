// Layer: contract over HTTP (exports.default.fetch) against the Google emulator.
// CONTRACT.md "Routes": GET /api/google-auth/, GET /oauth2callback/; "Errors".
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createTokenStore } from "../src/tokens/token-store";
import { app, problemOf } from "./support/app";
import { TEST_CLIENT_ID, TEST_ENCRYPTION_KEY, TEST_REDIRECT_URI } from "./support/constants";
import { callsOf, injectFault } from "./support/google";
import { consent, me, newEmail, signIn } from "./support/sign-in";

describe("GET /api/google-auth/", () => {
  it("redirects to Google's consent page with every required parameter", async ({ expect }) => {
    const res = await app("/api/google-auth/", { redirect: "manual" });
    expect(res.status).toBe(302);
    const url = new URL(res.headers.get("location")!);
    expect(`${url.origin}${url.pathname}`).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    const q = url.searchParams;
    expect(q.get("client_id")).toBe(TEST_CLIENT_ID);
    expect(q.get("redirect_uri")).toBe(TEST_REDIRECT_URI);
    expect(q.get("response_type")).toBe("code");
    expect(q.get("scope")?.split(" ")).toEqual(
      expect.arrayContaining(["openid", "email", "https://www.googleapis.com/auth/calendar.events"]),
    );
    expect(q.get("state")).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("access_type")).toBe("offline");
    expect(q.get("prompt")).toBe("consent");
    expect(q.get("include_granted_scopes")).toBe("true");
  });

  it("binds the state to the browser with a __Host- HttpOnly SameSite=Lax cookie", async ({ expect }) => {
    const res = await app("/api/google-auth", { redirect: "manual" });
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^__Host-calendar_edge_oauth=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it("answers JSON with the authorization URL when asked", async ({ expect }) => {
    const res = await app("/api/google-auth/", { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { authorization_url: string };
    expect(body.authorization_url).toMatch(/^https:\/\/accounts\.google\.com\/o\/oauth2\/v2\/auth\?/);
    expect(res.headers.get("set-cookie")).toMatch(/^__Host-calendar_edge_oauth=/);
  });
});

describe("GET /oauth2callback/", () => {
  it("completes the consent: account, one-time API token, scopes; the token works", async ({ expect }) => {
    const email = newEmail();
    const { cookie, callbackPath } = await consent({ email });
    const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      account: { id: string; email: string };
      api_token: string;
      scopes: string[];
    };
    expect(body.account.email).toBe(email);
    expect(body.account.id).toMatch(/^\d+$/);
    expect(body.api_token).toMatch(/^cek_[A-Za-z0-9_-]{43}$/);
    expect(body.scopes).toContain("https://www.googleapis.com/auth/calendar.events");

    const { res: meRes, body: profile } = await me(body.api_token);
    expect(meRes.status).toBe(200);
    expect(profile).toEqual({
      account: { id: body.account.id, email },
      google: { status: "connected", scopes: body.scopes },
    });
    // The PKCE verifier reached Google's token endpoint (the emulator checks it against the challenge).
    const exchanges = await callsOf(email, "token");
    expect(exchanges.map((c) => [c.grantType, c.status])).toEqual([["authorization_code", 200]]);
  });

  it("shows the account and the token on an HTML page for browsers, never cached", async ({ expect }) => {
    const email = newEmail();
    const { cookie, callbackPath } = await consent({ email });
    const res = await app(callbackPath, { headers: { cookie, accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain(email);
    const token = /id="api-token">(cek_[A-Za-z0-9_-]{43})</.exec(html)?.[1];
    expect(token).toBeDefined();
    expect((await me(token!)).res.status).toBe(200);
  });

  it("keeps tokens encrypted in KV: no plaintext Google token, API token stored only as a hash", async ({
    expect,
  }) => {
    const user = await signIn();
    const grant = await env.TOKENS.get(`grant:${user.accountId}`);
    expect(grant).toBeTruthy();
    expect(grant).not.toMatch(/ya29\.|1\/\/|access_token|refresh_token/);
    expect(JSON.parse(grant!)).toEqual({ v: 1, iv: expect.any(String), ct: expect.any(String) });
    const keys = (await env.TOKENS.list()).keys.map((k) => k.name);
    expect(keys.some((k) => k.includes(user.token))).toBe(false);
    for (const key of keys) expect(await env.TOKENS.get(key)).not.toContain(user.token);
  });

  describe("rejects a bad state with 400 invalid_oauth_state", () => {
    it("missing", async ({ expect }) => {
      const { cookie, callbackPath } = await consent();
      const url = new URL(callbackPath, "https://x");
      url.searchParams.delete("state");
      const res = await app(`${url.pathname}${url.search}`, {
        headers: { cookie, accept: "application/json" },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect((await problemOf(res)).code).toBe("invalid_oauth_state");
    });

    it("tampered", async ({ expect }) => {
      const { cookie, callbackPath } = await consent();
      const url = new URL(callbackPath, "https://x");
      url.searchParams.set("state", `${url.searchParams.get("state")!.slice(0, -2)}xx`);
      const res = await app(`${url.pathname}${url.search}`, {
        headers: { cookie, accept: "application/json" },
      });
      expect(res.status).toBe(400);
      expect((await problemOf(res)).code).toBe("invalid_oauth_state");
    });

    it("reused", async ({ expect }) => {
      const { cookie, callbackPath } = await consent();
      const first = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
      expect(first.status).toBe(200);
      const again = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
      expect(again.status).toBe(400);
      expect((await problemOf(again)).code).toBe("invalid_oauth_state");
    });

    it("from another browser (no cookie, or another browser's cookie)", async ({ expect }) => {
      const victim = await consent();
      const attacker = await consent();
      const noCookie = await app(victim.callbackPath, { headers: { accept: "application/json" } });
      expect(noCookie.status).toBe(400);
      expect((await problemOf(noCookie)).code).toBe("invalid_oauth_state");
      const otherCookie = await app(victim.callbackPath, {
        headers: { cookie: attacker.cookie, accept: "application/json" },
      });
      expect(otherCookie.status).toBe(400);
      // The rightful browser can still finish its own consent.
      const own = await app(victim.callbackPath, {
        headers: { cookie: victim.cookie, accept: "application/json" },
      });
      expect(own.status).toBe(200);
    });

    it("renders an HTML error page with a way to start again for browsers", async ({ expect }) => {
      const { callbackPath } = await consent();
      const res = await app(callbackPath, { headers: { accept: "text/html" } });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain("invalid_oauth_state");
      expect(html).toContain('href="/api/google-auth/"');
    });
  });

  it("reports a denial at Google as 403 access_denied, connecting nothing", async ({ expect }) => {
    const email = newEmail();
    const { cookie, callbackPath } = await consent({ email, decision: "deny" });
    expect(callbackPath).toContain("error=access_denied");
    const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
    expect(res.status).toBe(403);
    const problem = await problemOf(res);
    expect(problem.code).toBe("access_denied");
    expect(problem.detail).toContain("access_denied");
    expect(await callsOf(email, "token")).toEqual([]);
  });

  it("asks to tick the calendar box again when granular consent dropped the calendar scope", async ({
    expect,
  }) => {
    const email = newEmail();
    const { cookie, callbackPath } = await consent({ email, grantCalendar: false });
    const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
    expect(res.status).toBe(403);
    const problem = await problemOf(res);
    expect(problem.code).toBe("insufficient_scope");
    expect(problem.detail).toMatch(/tick/i);

    const again = await consent({ email, grantCalendar: false });
    const page = await app(again.callbackPath, { headers: { cookie: again.cookie, accept: "text/html" } });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("insufficient_scope");
  });

  for (const [error, status] of [
    ["redirect_uri_mismatch", 400],
    ["invalid_client", 401],
    ["unauthorized_client", 400],
  ] as const) {
    it(`answers 502 naming ${error} when Google's token endpoint refuses the code`, async ({ expect }) => {
      const email = newEmail();
      const { cookie, callbackPath } = await consent({ email });
      await injectFault({
        endpoint: "token",
        account: email,
        status,
        body: { error, error_description: "Bad Request" },
      });
      const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
      expect(res.status).toBe(502);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = await problemOf(res);
      expect(problem).toMatchObject({ code: "google_oauth_error", google_error: error });
      expect(problem.detail).toContain(error);
    });
  }

  it("answers 502 google_unavailable when the token endpoint fails with a 5xx", async ({ expect }) => {
    const email = newEmail();
    const { cookie, callbackPath } = await consent({ email });
    await injectFault({ endpoint: "token", account: email, status: 503 });
    const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
    expect(res.status).toBe(502);
    expect((await problemOf(res)).code).toBe("google_unavailable");
  });

  describe("rejects an ID token that does not verify", () => {
    const cases: [string, { claims?: Record<string, unknown>; foreignKey?: boolean }][] = [
      ["wrong audience", { claims: { aud: "someone-else.apps.googleusercontent.com" } }],
      ["wrong issuer", { claims: { iss: "https://evil.example.com" } }],
      ["bad signature", { foreignKey: true }],
      [
        "expired",
        { claims: { exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 } },
      ],
    ];
    for (const [name, idToken] of cases) {
      it(name, async ({ expect }) => {
        const email = newEmail();
        const { cookie, callbackPath } = await consent({ email });
        await injectFault({ endpoint: "token", account: email, idToken });
        const stored = async () => (await env.TOKENS.list({ prefix: "grant:" })).keys.length;
        const before = await stored();
        const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
        expect(res.status).toBe(502);
        expect((await problemOf(res)).code).toBe("invalid_id_token");
        // Nothing was stored: no grant, and so no API token for this account.
        expect(await stored()).toBe(before);
      });
    }

    it("accepts the bare 'accounts.google.com' issuer Google also uses", async ({ expect }) => {
      const email = newEmail();
      const { cookie, callbackPath } = await consent({ email });
      await injectFault({
        endpoint: "token",
        account: email,
        idToken: { claims: { iss: "accounts.google.com" } },
      });
      const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
      expect(res.status).toBe(200);
    });
  });

  it("keeps the stored refresh token when a later consent omits it", async ({ expect }) => {
    const first = await signIn();
    const { cookie, callbackPath } = await consent({ email: first.email });
    await injectFault({ endpoint: "token", account: first.email, omitRefreshToken: true });
    const res = await app(callbackPath, { headers: { cookie, accept: "application/json" } });
    expect(res.status).toBe(200);
    const { api_token: token } = (await res.json()) as { api_token: string };
    // The refresh token of the first consent is still stored.
    const stored = await createTokenStore(env.TOKENS, TEST_ENCRYPTION_KEY).get(first.accountId);
    expect(stored?.refreshToken).toMatch(/^1\/\//);
    expect((await me(token)).body.google.status).toBe("connected");
  });
});
