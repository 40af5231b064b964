// Layer: contract over HTTP. CONTRACT.md "Authentication for everything under /api/", GET /api/me, revoke.
import { describe, it } from "vitest";
import { api, problemOf } from "./support/app";
import { callsOf } from "./support/google";
import { me, signIn } from "./support/sign-in";

describe("API authentication", () => {
  for (const [name, header] of [
    ["missing", undefined],
    ["not Bearer", "Basic dXNlcjpwYXNz"],
    ["unknown token", `Bearer cek_${"A".repeat(43)}`],
    ["malformed token", "Bearer not-a-token"],
  ] as const) {
    it(`answers 401 with WWW-Authenticate: Bearer when the token is ${name}`, async ({ expect }) => {
      const res = await api("/api/me", { headers: header ? { authorization: header } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect((await problemOf(res)).code).toBe("unauthorized");
    });
  }

  it("protects the events routes and revoke too", async ({ expect }) => {
    for (const [method, path] of [
      ["GET", "/api/events/"],
      ["POST", "/api/events/"],
      ["GET", "/api/events/abc"],
      ["POST", "/api/google-auth/revoke/"],
    ]) {
      const res = await api(path!, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });
});

describe("POST /api/google-auth/revoke/", () => {
  it("revokes the grant at Google, deletes the stored tokens; /api/me shows disconnected", async ({
    expect,
  }) => {
    const user = await signIn();
    const res = await api("/api/google-auth/revoke/", { method: "POST", token: user.token });
    expect(res.status).toBe(204);
    const revokes = await callsOf(user.email, "revoke");
    expect(revokes.map((c) => c.status)).toEqual([200]);
    const { body } = await me(user.token);
    expect(body.google).toEqual({ status: "disconnected", scopes: [] });
    // Revoking again is harmless.
    expect((await api("/api/google-auth/revoke", { method: "POST", token: user.token })).status).toBe(204);
  });

  it("can connect again after revoking", async ({ expect }) => {
    const user = await signIn();
    await api("/api/google-auth/revoke/", { method: "POST", token: user.token });
    const again = await signIn({ email: user.email });
    expect((await me(again.token)).body.google.status).toBe("connected");
    expect((await me(user.token)).body.google.status).toBe("connected");
  });
});
