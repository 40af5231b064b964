// Layer: module on real bindings (tokens/access-token.ts on local KV) against the Google emulator,
// plus what a client then sees over HTTP (/api/me). CONTRACT.md "Errors": reauthorization_required.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { parseConfig } from "../src/config";
import { createDb } from "../src/db/client";
import { ProblemError } from "../src/http/problem";
import { getAccessToken } from "../src/tokens/access-token";
import { createTokenStore } from "../src/tokens/token-store";
import { api } from "./support/app";
import { callsOf, expireAccessTokens, injectFault, revokeGrantsAtGoogle } from "./support/google";
import { me, signIn } from "./support/sign-in";

function deps() {
  const config = parseConfig(env);
  return { config, tokens: createTokenStore(env.TOKENS, config.tokenEncryptionKey), db: createDb(env.DB) };
}

async function expireStoredToken(accountId: string): Promise<void> {
  const store = deps().tokens;
  const grant = (await store.get(accountId))!;
  await store.put({ ...grant, accessTokenExpiresAt: Date.now() + 30_000 });
}

describe("getAccessToken", () => {
  it("returns the stored token while it is fresh, without calling Google", async ({ expect }) => {
    const user = await signIn();
    const token = await getAccessToken(deps(), user.accountId);
    expect(token).toMatch(/^ya29\./);
    expect(await callsOf(user.email, "token")).toHaveLength(1);
  });

  it("refreshes within 60 s of expiry, exactly once, and saves the new token", async ({ expect }) => {
    const user = await signIn();
    const before = await getAccessToken(deps(), user.accountId);
    await expireStoredToken(user.accountId);
    const after = await getAccessToken(deps(), user.accountId);
    expect(after).not.toBe(before);
    expect(await getAccessToken(deps(), user.accountId)).toBe(after);
    const refreshes = (await callsOf(user.email, "token")).filter((c) => c.grantType === "refresh_token");
    expect(refreshes).toHaveLength(1);
    const stored = await deps().tokens.get(user.accountId);
    expect(stored?.accessToken).toBe(after);
    expect(stored?.refreshToken).toMatch(/^1\/\//);
  });

  it("maps invalid_grant to a persistent reauthorization_required, never retried", async ({ expect }) => {
    const user = await signIn();
    await revokeGrantsAtGoogle(user.email);
    await expireStoredToken(user.accountId);
    const err = await getAccessToken(deps(), user.accountId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).code).toBe("reauthorization_required");
    expect((err as ProblemError).status).toBeLessThan(500);
    // Remembered: the next call does not ask Google again.
    await expect(getAccessToken(deps(), user.accountId)).rejects.toMatchObject({
      code: "reauthorization_required",
    });
    const refreshes = (await callsOf(user.email, "token")).filter((c) => c.grantType === "refresh_token");
    expect(refreshes).toHaveLength(1);
    const { body } = await me(user.token);
    expect(body.google.status).toBe("reauthorization_required");
  });

  it("recovers when the user consents again", async ({ expect }) => {
    const user = await signIn();
    await revokeGrantsAtGoogle(user.email);
    await expireStoredToken(user.accountId);
    await getAccessToken(deps(), user.accountId).catch(() => undefined);
    const again = await signIn({ email: user.email });
    expect((await me(again.token)).body.google.status).toBe("connected");
    await expect(getAccessToken(deps(), user.accountId)).resolves.toMatch(/^ya29\./);
  });

  it("surfaces other token-endpoint errors as 502 naming Google's code", async ({ expect }) => {
    const user = await signIn();
    await expireStoredToken(user.accountId);
    await injectFault({
      endpoint: "token",
      account: user.email,
      grantType: "refresh_token",
      status: 401,
      body: { error: "invalid_client", error_description: "Unauthorized" },
    });
    const err = (await getAccessToken(deps(), user.accountId).catch((e: unknown) => e)) as ProblemError;
    expect(err.code).toBe("google_oauth_error");
    expect(err.status).toBe(502);
    expect(err.toJSON().google_error).toBe("invalid_client");
    // Not a dead grant: still connected.
    expect((await me(user.token)).body.google.status).toBe("connected");
  });

  it("forces a refresh after Google rejected a token it had not expired locally", async ({ expect }) => {
    const user = await signIn();
    const before = await getAccessToken(deps(), user.accountId);
    await expireAccessTokens(user.email);
    const after = await getAccessToken(deps(), user.accountId, { force: true });
    expect(after).not.toBe(before);
  });
});

describe("a disconnect racing a request that refreshes the token (KV is eventually consistent)", () => {
  // The request below reads the grant, then waits for Google's token endpoint; meanwhile the user
  // disconnects. Whatever the refresh then answers, the stale copy the request holds must not come back.
  async function racingDisconnect(fault: Omit<Parameters<typeof injectFault>[0], "account">) {
    const user = await signIn();
    await expireStoredToken(user.accountId);
    // Only the first refresh (the request's) is slow: the disconnect's own refresh goes through.
    await injectFault({ ...fault, account: user.email });
    const pending = api("/api/events/", {
      method: "POST",
      token: user.token,
      body: {
        participants: ["ada@example.com"],
        start_time: "2026-12-01T10:00:00Z",
        end_time: "2026-12-01T11:00:00Z",
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const revoke = await api("/api/google-auth/revoke/", { method: "POST", token: user.token });
    return { user, revoke, answer: await pending };
  }

  it("invalid_grant arriving after the disconnect writes no grant back: still disconnected", async ({
    expect,
  }) => {
    const { user, revoke, answer } = await racingDisconnect({
      endpoint: "token",
      grantType: "refresh_token",
      status: 400,
      body: { error: "invalid_grant", error_description: "Token has been expired or revoked." },
      delayMs: 1_000,
    });
    expect(revoke.status).toBe(204);
    expect(answer.status).toBe(403);
    expect(((await answer.json()) as { code: string }).code).toBe("reauthorization_required");
    expect(await env.TOKENS.get(`grant:${user.accountId}`)).toBeNull();
    expect((await me(user.token)).body.google).toEqual({ status: "disconnected", scopes: [] });
  });

  it("a refresh that succeeded just before the disconnect is not saved; Google then refuses it", async ({
    expect,
  }) => {
    const { user, revoke, answer } = await racingDisconnect({
      endpoint: "token",
      grantType: "refresh_token",
      afterRealCall: true,
      delayMs: 1_000,
    });
    expect(revoke.status).toBe(204);
    expect(answer.status).toBe(403);
    expect(await env.TOKENS.get(`grant:${user.accountId}`)).toBeNull();
    expect((await me(user.token)).body.google.status).toBe("disconnected");
    expect((await callsOf(user.email, "events.insert")).every((c) => c.status === 401)).toBe(true);
  });
});
