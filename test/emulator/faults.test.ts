// Layer: Google emulator over fetch (outboundService): the /__emulator/faults control surface.
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify } from "jose";
import { describe, it } from "vitest";
import { TEST_CLIENT_ID } from "../support/constants";
import {
  addFault,
  authorize,
  calendar,
  callsOf,
  control,
  eventBody,
  exchangeCode,
  JWKS_URL,
  signInAtGoogle,
  type TokenSet,
  tokenRequest,
  uniqueEmail,
} from "./google-client";

const EVENTS = "/calendars/primary/events";
const jwks = createRemoteJWKSet(new URL(JWKS_URL));

async function signedIn() {
  const email = uniqueEmail("fault");
  const tokens = await signInAtGoogle(email);
  return { email, token: tokens.access_token, refreshToken: tokens.refresh_token ?? "" };
}

async function storedEvents(email: string) {
  const res = await control(`/accounts/${encodeURIComponent(email)}/events`);
  return (await res.json()) as Array<{ id: string; status: string }>;
}

describe("status faults", () => {
  it("answer Google's body for the status, `times` times, then the real thing", async ({ expect }) => {
    const { email, token } = await signedIn();
    await addFault({ endpoint: "events.insert", account: email, status: 503, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await calendar(EVENTS, token, { method: "POST", json: eventBody() });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 503, errors: [{ reason: "backendError" }] } });
    }
    expect((await calendar(EVENTS, token, { method: "POST", json: eventBody() })).status).toBe(200);
    expect(await storedEvents(email)).toHaveLength(1);
    const calls = await callsOf(email, "events.insert");
    expect(calls.map((c) => c.status)).toEqual([503, 503, 200]);
    expect(calls[0]?.faultId).toBeTruthy();
  });

  it("429 rateLimitExceeded with a Retry-After header", async ({ expect }) => {
    const { email, token } = await signedIn();
    await addFault({ endpoint: "events.list", account: email, status: 429, headers: { "Retry-After": "7" } });
    const res = await calendar(EVENTS, token);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(await res.json()).toMatchObject({
      error: { code: 429, message: "Rate Limit Exceeded", errors: [{ reason: "rateLimitExceeded" }] },
    });
  });

  it("only match the given account", async ({ expect }) => {
    const target = await signedIn();
    const bystander = await signedIn();
    await addFault({ endpoint: "events.list", account: target.email, status: 500 });
    expect((await calendar(EVENTS, bystander.token)).status).toBe(200);
    expect((await calendar(EVENTS, target.token)).status).toBe(500);
  });

  it("a custom body is sent as JSON; a fault can be removed before it fires", async ({ expect }) => {
    const { email, token } = await signedIn();
    const id = await addFault({ endpoint: "events.get", account: email, status: 500 });
    expect((await control(`/faults/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await control(`/faults/${id}`, { method: "DELETE" })).status).toBe(404);
    await addFault({ endpoint: "events.list", account: email, status: 418, body: { teapot: true } });
    const res = await calendar(EVENTS, token);
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ teapot: true });
  });

  it("token faults can target one grant type and speak OAuth JSON", async ({ expect }) => {
    const { email, refreshToken } = await signedIn();
    await addFault({ endpoint: "token", account: email, grantType: "refresh_token", status: 503 });
    const { code, verifier } = await authorize(email);
    expect((await exchangeCode(code, verifier)).status).toBe(200);
    const res = await tokenRequest({ grant_type: "refresh_token", refresh_token: refreshToken });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "The service is currently unavailable.",
    });
    const tokenCalls = await callsOf(email, "token");
    expect(tokenCalls.map((c) => [c.grantType, c.status])).toEqual([
      ["authorization_code", 200],
      ["authorization_code", 200],
      ["refresh_token", 503],
    ]);
  });

  it("refuses a malformed fault with 400", async ({ expect }) => {
    for (const spec of [
      { endpoint: "events.nope", status: 500 },
      { endpoint: "events.get" },
      { endpoint: "events.get", statusCode: 500 },
    ]) {
      const res = await control("/faults", { method: "POST", json: spec });
      expect(res.status).toBe(400);
      expect(await res.json()).toHaveProperty("error");
    }
  });
});

describe("network faults", () => {
  it("drop: the caller's fetch rejects like a lost connection, and nothing happened", async ({ expect }) => {
    const { email, token } = await signedIn();
    await addFault({ endpoint: "events.insert", account: email, drop: true });
    await expect(calendar(EVENTS, token, { method: "POST", json: eventBody() })).rejects.toThrow(
      "Network connection lost",
    );
    expect(await storedEvents(email)).toEqual([]);
    expect((await callsOf(email, "events.insert")).map((c) => c.status)).toEqual([0]);
  });

  it("drop after the real call: the event exists although the caller saw no answer", async ({ expect }) => {
    const { email, token } = await signedIn();
    await addFault({ endpoint: "events.insert", account: email, drop: true, afterRealCall: true });
    await expect(calendar(EVENTS, token, { method: "POST", json: eventBody() })).rejects.toThrow();
    expect(await storedEvents(email)).toHaveLength(1);
  });

  it("a status after the real call: 500 answered, event created", async ({ expect }) => {
    const { email, token } = await signedIn();
    await addFault({ endpoint: "events.insert", account: email, status: 500, afterRealCall: true });
    expect((await calendar(EVENTS, token, { method: "POST", json: eventBody() })).status).toBe(500);
    expect(await storedEvents(email)).toHaveLength(1);
  });

  it("delay alone: the real answer, late", async ({ expect }) => {
    const { email, token } = await signedIn();
    await addFault({ endpoint: "events.list", account: email, delayMs: 300 });
    const started = Date.now();
    const res = await calendar(EVENTS, token);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("delay past the caller's timeout: the caller gives up, and the late write still lands", async ({
    expect,
  }) => {
    const { email, token } = await signedIn();
    await addFault({ endpoint: "events.insert", account: email, delayMs: 400 });
    await expect(
      calendar(EVENTS, token, { method: "POST", json: eventBody(), signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    expect(await storedEvents(email)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await storedEvents(email)).toHaveLength(1);
  });
});

describe("token response tweaks", () => {
  it("idToken.claims overrides claims of a real, correctly signed ID token", async ({ expect }) => {
    const email = uniqueEmail("fault");
    await addFault({
      endpoint: "token",
      account: email,
      idToken: { claims: { aud: "someone-else", email: null } },
    });
    const tokens = await signInAtGoogle(email);
    const { payload } = await jwtVerify(tokens.id_token ?? "", jwks);
    expect(payload.aud).toBe("someone-else");
    expect(payload.email).toBeUndefined();
    await expect(jwtVerify(tokens.id_token ?? "", jwks, { audience: TEST_CLIENT_ID })).rejects.toThrow();
  });

  it("idToken.foreignKey signs with a key that is not in the JWKS", async ({ expect }) => {
    const email = uniqueEmail("fault");
    await addFault({ endpoint: "token", account: email, idToken: { foreignKey: true } });
    const tokens = await signInAtGoogle(email);
    expect(decodeJwt(tokens.id_token ?? "").email).toBe(email);
    await expect(jwtVerify(tokens.id_token ?? "", jwks)).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    );
  });

  it("omitRefreshToken: a successful exchange without a refresh token", async ({ expect }) => {
    const email = uniqueEmail("fault");
    await addFault({ endpoint: "token", account: email, omitRefreshToken: true });
    const { code, verifier } = await authorize(email);
    const tokens = (await (await exchangeCode(code, verifier)).json()) as TokenSet;
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeUndefined();
  });
});
