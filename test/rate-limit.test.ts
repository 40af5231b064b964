// Layer: contract over HTTP with the Workers Rate Limiting bindings as configured in wrangler.toml
// (API_RATE_LIMITER: 120 requests / 60 s per API token; CONSENT_RATE_LIMITER: 30 starts / 60 s per IP).
import { describe, it } from "vitest";
import { api, app, problemOf } from "./support/app";
import { signIn } from "./support/sign-in";

describe("rate limits", () => {
  it("answers 429 problem+json with Retry-After once a token spends its budget; other tokens are unaffected", async ({
    expect,
  }) => {
    const user = await signIn();
    const other = await signIn();
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 130 && !limited; i++) {
      const res = await api("/api/me", { token: user.token });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    expect(limited).toBeDefined();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(100);
    expect(limited!.headers.get("content-type")).toBe("application/problem+json");
    expect(limited!.headers.get("retry-after")).toBe("60");
    expect((await problemOf(limited!)).code).toBe("rate_limited");
    expect((await api("/api/me", { token: other.token })).status).toBe(200);
  });

  it("limits consent starts per client address", async ({ expect }) => {
    const headers = {
      accept: "application/json",
      "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250)}-${crypto.randomUUID()}`,
    };
    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await app("/api/google-auth/", { headers });
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    expect(limited?.status).toBe(429);
    expect(limited!.headers.get("retry-after")).toBe("60");
    expect(
      (await app("/api/google-auth/", { headers: { ...headers, "cf-connecting-ip": "192.0.2.9" } })).status,
    ).toBe(200);
  });
});
