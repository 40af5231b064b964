// Layer: contract over HTTP (exports.default.fetch), property-based (fast-check) with the Google emulator and
// local KV. Issue "Hostile input (in CI)": GET /api/me and POST /api/google-auth/revoke/ under header abuse
// (garbage, non-ASCII, very long and repeated bearer tokens), odd methods, paths and bodies.
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  authSpec,
  bodyOf,
  bodySpec,
  contentType,
  mostlyMethod,
  noiseHeaders,
  wrongType,
} from "../support/arbitraries";
import { runRouteProperty, toRequest } from "../support/hostile";

const noSetup = async () => ({});

describe("/api/me and /api/google-auth/revoke/ under hostile input", () => {
  it("GET /api/me: never 5xx; a valid token sees its own account, anything else a 401 problem", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: noSetup,
      every: 100,
      cases: fc.record({
        method: mostlyMethod("GET", "HEAD", "POST", "DELETE", "get"),
        target: fc.constantFrom(
          "/api/me",
          "/api/me",
          "/api/me/",
          "/api/me?x=1",
          "/api/me/x",
          "/api//me",
          "/API/ME",
        ),
        auth: authSpec(45, 2),
        noise: noiseHeaders,
      }),
      prepare: (c, { headers }) => {
        const request = toRequest({ method: c.method, target: c.target, headers });
        return { request };
      },
      check: (answer, { request, caller }) => {
        const route = /^\/api\/me\/?$/.test(new URL(request.url).pathname);
        const readable = request.method === "GET" || request.method === "HEAD";
        if (!route || !readable) expect(answer.code).toBe("not_found");
        else if (!caller) expect(answer.code).toBe("unauthorized");
        else if (answer.code !== "rate_limited") {
          expect(answer.status).toBe(200);
          if (request.method === "GET")
            expect(answer.json).toMatchObject({ account: { id: caller.accountId, email: caller.email } });
        }
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });

  it("POST /api/google-auth/revoke/: never 5xx; only a valid token revokes (its own grant, once)", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const revoked = new Set<string>();
    const tally = await runRouteProperty({
      expect,
      accounts: noSetup,
      every: 100,
      cases: fc.record({
        method: mostlyMethod("POST", "GET", "DELETE", "PUT", "post"),
        target: fc.constantFrom(
          "/api/google-auth/revoke/",
          "/api/google-auth/revoke",
          "/api/google-auth/revoke/?token=x",
          "/api/google-auth/revoke/x",
          "/api/google-auth//revoke",
        ),
        auth: authSpec(),
        type: fc.option(contentType, { nil: undefined }),
        // The route takes no body: whatever comes is ignored, never parsed into trouble.
        body: fc.option(bodySpec(wrongType), { nil: undefined }),
        noise: noiseHeaders,
      }),
      prepare: (c, { headers }) => {
        if (c.type !== undefined) headers.push(["content-type", c.type]);
        const body = c.body && bodyOf(c.body);
        const request = toRequest({
          method: c.method,
          target: c.target,
          headers,
          ...(body ? { body } : {}),
        });
        return { request };
      },
      check: (answer, { request, caller, watch }) => {
        const route = /^\/api\/google-auth\/revoke\/?$/.test(new URL(request.url).pathname);
        if (!route || request.method !== "POST") expect(answer.code).toBe("not_found");
        else if (!caller) expect(answer.code).toBe("unauthorized");
        else if (answer.code !== "rate_limited") expect(answer.status).toBe(204);
        // The first revoke of an account stops its push channel and revokes the grant at Google (two calls)
        // and deletes the grant; later ones do nothing.
        if (answer.status === 204 && !revoked.has(caller!.accountId)) {
          revoked.add(caller!.accountId);
          watch.allowKvRemove(`grant:${caller!.accountId}`);
          watch.allowCalls(caller!, 2);
        }
      },
    });
    expect(revoked.size, "some cases revoked a real grant").toBeGreaterThan(0);
    tally.expectMostlyReachedRoute(expect);
  });
});
