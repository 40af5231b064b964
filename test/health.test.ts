// Layer: contract over HTTP (exports.default.fetch). CONTRACT.md "Routes": GET /health, errors.
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";

describe("GET /health", () => {
  it("answers 200 with or without a trailing slash", async ({ expect }) => {
    for (const path of ["/health", "/health/"]) {
      const res = await exports.default.fetch(`https://calendar-edge.test${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
    }
  });

  it("sends secure headers", async ({ expect }) => {
    const res = await exports.default.fetch("https://calendar-edge.test/health");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });
});

describe("unknown routes", () => {
  it("answer 404 problem+json", async ({ expect }) => {
    const res = await exports.default.fetch("https://calendar-edge.test/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 404, code: "not_found" });
  });
});
