// Layer: contract over HTTP. CONTRACT.md "GET /openapi.json", "GET /docs". /openapi.json is the static asset the
// build writes (vitest.config.ts runs the same generator first), read through the ASSETS binding as Workers
// static assets serve it ahead of the Worker; /docs and the spellings assets leave to the Worker go through
// exports.default.fetch.
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { PROBLEM_CODES } from "../src/http/problem";

const ORIGIN = "https://calendar-edge.test";

interface OpenApiDocument {
  openapi: string;
  info: { description: string };
  paths: Record<
    string,
    Record<string, { security?: unknown[]; requestBody?: unknown; responses: Record<string, unknown> }>
  >;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, unknown> };
}

// Every route of CONTRACT.md "Routes", as the document spells it.
const CONTRACT_OPERATIONS = [
  ["/health", "get"],
  ["/api/google-auth/", "get"],
  ["/oauth2callback/", "get"],
  ["/api/me", "get"],
  ["/api/google-auth/revoke/", "post"],
  ["/api/events/", "post"],
  ["/api/events/", "get"],
  ["/api/events/{id}", "get"],
  ["/api/events/{id}", "patch"],
  ["/api/events/{id}", "delete"],
  // Issue 10: availability.
  ["/api/availability", "get"],
  ["/api/calendars", "get"],
  // Issue 9: Google's push notifications.
  ["/webhooks/google", "post"],
  // Outgoing webhooks: the client app's endpoints.
  ["/api/webhooks/", "post"],
  ["/api/webhooks/", "get"],
  ["/api/webhooks/{id}", "get"],
  ["/api/webhooks/{id}", "delete"],
  ["/api/webhooks/{id}/deliveries", "get"],
  ["/openapi.json", "get"],
  ["/docs", "get"],
] as const;

async function fetchDocument(): Promise<{ res: Response; doc: OpenApiDocument }> {
  const res = await env.ASSETS.fetch(`${ORIGIN}/openapi.json`);
  return { res, doc: (await res.json()) as OpenApiDocument };
}

/** Follows a local `$ref` (`#/components/schemas/X`) once. */
function resolve(doc: OpenApiDocument, schema: Record<string, unknown>): Record<string, unknown> {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  const name = ref.replace("#/components/schemas/", "");
  const target = doc.components.schemas[name];
  if (!target) throw new Error(`dangling $ref ${ref}`);
  return target;
}

describe("GET /openapi.json", () => {
  it("answers 200 JSON with an OpenAPI 3.1 document", async ({ expect }) => {
    const { res, doc } = await fetchDocument();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it("answers the same document from the Worker where assets pass the request on (trailing slash)", async ({
    expect,
  }) => {
    const { doc } = await fetchDocument();
    for (const path of ["/openapi.json", "/openapi.json/"]) {
      const res = await exports.default.fetch(`${ORIGIN}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(doc);
    }
  });

  it("documents every contract route and method, and nothing else", async ({ expect }) => {
    const { doc } = await fetchDocument();
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => ["get", "put", "post", "patch", "delete", "head", "options"].includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const expected = CONTRACT_OPERATIONS.map(([path, method]) => `${method.toUpperCase()} ${path}`);
    expect(documented.sort()).toEqual([...expected].sort());
  });

  it("takes the create body from the handler schema: required, no unknown fields", async ({ expect }) => {
    const { doc } = await fetchDocument();
    const body = doc.paths["/api/events/"]?.post?.requestBody as {
      content: { "application/json": { schema: Record<string, unknown> } };
    };
    const schema = resolve(doc, body.content["application/json"].schema);
    expect(schema.required).toEqual(expect.arrayContaining(["participants", "start_time", "end_time"]));
    expect(schema.additionalProperties).toBe(false);
  });

  it("lists exactly the problem codes of PROBLEM_CODES", async ({ expect }) => {
    const { doc } = await fetchDocument();
    const problem = doc.components.schemas.Problem as { properties: { code: { enum: string[] } } };
    expect(problem.properties.code.enum).toEqual(Object.keys(PROBLEM_CODES));
    for (const code of Object.keys(PROBLEM_CODES)) expect(doc.info.description).toContain(`\`${code}\``);
  });

  it("gives every operation problem+json errors and bearer auth on /api except starting consent", async ({
    expect,
  }) => {
    const { doc } = await fetchDocument();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    for (const [path, method] of CONTRACT_OPERATIONS) {
      const operation = doc.paths[path]?.[method];
      const errors = Object.entries(operation?.responses ?? {}).filter(([status]) => Number(status) >= 400);
      expect(errors.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [, response] of errors) {
        expect(response, `${method} ${path}`).toHaveProperty(["content", "application/problem+json"]);
      }
      const protectedRoute = path.startsWith("/api/") && path !== "/api/google-auth/";
      expect(operation?.security, `${method} ${path}`).toEqual(
        protectedRoute ? [{ bearerAuth: [] }] : undefined,
      );
    }
  });

  it("resolves every $ref", async ({ expect }) => {
    const { doc } = await fetchDocument();
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
    for (const ref of refs) {
      const name = /#\/components\/schemas\/([^"]+)"$/.exec(ref)?.[1];
      expect(name && doc.components.schemas[name], ref).toBeTruthy();
    }
  });
});

describe("GET /docs", () => {
  it("answers an HTML page that loads Swagger UI from this Worker, not a CDN", async ({ expect }) => {
    for (const path of ["/docs", "/docs/"]) {
      const res = await exports.default.fetch(`${ORIGIN}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('src="/docs/vendor/swagger-ui-bundle.js"');
      expect(html).toContain("/openapi.json");
      expect(html).not.toMatch(/https?:\/\//);
    }
  });

  it("allows scripts only from this origin", async ({ expect }) => {
    const res = await exports.default.fetch(`${ORIGIN}/docs`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+={0,2}'(;|$)/);
    expect(csp).toContain("connect-src 'self'");
  });
});
