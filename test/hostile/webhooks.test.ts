// Layer: contract over HTTP (exports.default.fetch), property-based (fast-check) with local D1/KV and the
// webhook test network (receiver + DNS-over-HTTPS stub). POST /api/webhooks/ under hostile bodies, URLs
// (refused schemes, credentials, IP literals of every class, local names, names resolving to private and
// metadata addresses, junk), content types and tokens; GET /api/webhooks/ under hostile queries and methods;
// GET /api/webhooks/:id, GET /api/webhooks/:id/deliveries and DELETE /api/webhooks/:id under hostile ids.
// Never a 5xx, only known codes, nothing written for invalid input, nothing ever sent anywhere.
import fc from "fast-check";
import { describe, it } from "vitest";
import { PROBLEM_CODES, type ProblemCode } from "../../src/http/problem";
import { blockedAddressKind, isIpLiteral } from "../../src/webhooks/ip-address";
import {
  authSpec,
  bodyLength,
  bodyOf,
  bodySpec,
  contentType,
  encodeURIComponentLoose,
  eventIdText,
  MAX_BODY_BYTES,
  mostlyMethod,
  noiseHeaders,
  oddText,
  queryString,
  withEventIds,
  wrongType,
} from "../support/arbitraries";
import { type Answer, isJsonMediaType, runRouteProperty, toRequest } from "../support/hostile";
import type { SignedIn } from "../support/sign-in";
import { newInbox, receivedBy, registerWebhook } from "../support/webhooks";

const TYPES = [
  "event.created",
  "event.updated",
  "event.cancelled",
  "attendee.responded",
  "account.reauthorization_required",
] as const;

/** Every URL here must be refused; `$inbox` becomes this run's inbox, so anything sent would be seen. */
const REFUSED_URLS = [
  "http://hooks.receiver.example/$inbox",
  "http://localhost:8787/$inbox",
  "ftp://hooks.receiver.example/$inbox",
  "javascript:alert(1)",
  "https://user:pw@hooks.receiver.example/$inbox",
  "https://user@hooks.receiver.example/$inbox",
  "https://private.resolves.example/$inbox",
  "https://loopback.resolves.example/$inbox",
  "https://metadata.resolves.example/$inbox",
  "https://cgnat.resolves.example/$inbox",
  "https://ula.resolves.example/$inbox",
  "https://mapped.resolves.example/$inbox",
  "https://metadata6.resolves.example/$inbox",
  "https://10.0.0.1/$inbox",
  "https://172.16.0.1/",
  "https://192.168.0.1/",
  "https://127.0.0.1/",
  "https://0x7f000001/",
  "https://2130706433/",
  "https://0/",
  "https://169.254.169.254/latest/meta-data/",
  "https://100.100.100.200/",
  "https://224.0.0.1/",
  "https://[::1]/",
  "https://[::]/",
  "https://[::ffff:127.0.0.1]/",
  "https://[::ffff:a9fe:a9fe]/",
  "https://[64:ff9b::a9fe:a9fe]/",
  "https://[fd00:ec2::254]/",
  "https://[fe80::1]/",
  "https://localhost/",
  "https://a.localhost/",
  "https://printer.local/",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://intranet/",
  "https://nowhere.example/",
];

const urlValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constant("$valid") },
  { weight: 8, arbitrary: fc.constantFrom(...REFUSED_URLS) },
  { weight: 2, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom("https://", "http://", "https:", "//", ""), oddText(30))
      .map(([scheme, rest]) => `${scheme}${rest}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 2000, max: 3000 })
      .map((n) => `https://hooks.receiver.example/${"p".repeat(n)}`),
  },
  { weight: 1, arbitrary: wrongType },
);

const eventsValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.subarray([...TYPES], { minLength: 1 }) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 30 }) },
  {
    weight: 2,
    arbitrary: fc.array(
      fc.oneof(
        fc.constantFrom("event.deleted", "EVENT.CREATED", "event.created ", "*", "", "event.*"),
        oddText(20),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: wrongType },
);

const createBody = fc
  .tuple(
    fc.record({ url: urlValue, events: eventsValue }, { requiredKeys: [] }),
    fc.oneof(
      { weight: 10, arbitrary: fc.constant({}) },
      {
        weight: 1,
        arbitrary: fc.dictionary(
          fc.oneof(oddText(8), fc.constantFrom("secret", "id", "__proto__")),
          wrongType,
          {
            minKeys: 1,
            maxKeys: 2,
          },
        ),
      },
    ),
  )
  .map(([fields, extra]) => ({ ...fields, ...extra }));

const POST_CODES = [
  "unsupported_media_type",
  "payload_too_large",
  "invalid_json",
  "validation_failed",
  "webhook_url_refused",
  "webhook_limit_reached",
];

/** The answer carries one of `codes`; a HEAD answer has no body, so there only its status can be checked. */
function isOneOf(answer: Answer, request: Request, ...codes: ProblemCode[]): boolean {
  return request.method === "HEAD"
    ? codes.some((code) => PROBLEM_CODES[code].status === answer.status)
    : codes.includes(answer.code as ProblemCode);
}

/** Setup for the item routes: each account gets one endpoint (the previous account's is the foreign one). */
async function oneEndpointEach(user: SignedIn): Promise<{ endpointId: string }> {
  const endpoint = await registerWebhook(user.token, { url: newInbox().url });
  return { endpointId: endpoint.id };
}

/** Where a request to /api/webhooks/… lands once the URL parser has normalised it. */
function webhooksTarget(request: Request, own: string | undefined) {
  const path = new URL(request.url).pathname.replace(/\/$/, "");
  const segments = path.split("/").slice(1);
  const under = segments[0] === "api" && segments[1] === "webhooks";
  let id: string | undefined;
  try {
    id = segments[2] === undefined ? undefined : decodeURIComponent(segments[2]);
  } catch {
    id = segments[2];
  }
  const isItem = under && segments.length === 3 && segments[2] !== "";
  const isDeliveries = under && segments.length === 4 && segments[2] !== "" && segments[3] === "deliveries";
  return {
    under: new URL(request.url).pathname.startsWith("/api/webhooks"),
    isCollection: under && segments.length === 2,
    isItem,
    isDeliveries,
    isOwn: (isItem || isDeliveries) && own !== undefined && id === own,
  };
}

describe("POST /api/webhooks/ under hostile input", () => {
  it("never 5xx, only known codes, registers only safe URLs, and never sends anything", {
    timeout: 300_000,
  }, async ({ expect }) => {
    const trap = newInbox();
    const tally = await runRouteProperty({
      expect,
      accounts: async () => ({}),
      every: 50,
      cases: fc.record({
        auth: authSpec(),
        type: contentType,
        body: bodySpec(createBody),
        noise: noiseHeaders,
        target: fc.constantFrom("/api/webhooks/", "/api/webhooks/", "/api/webhooks", "/api/webhooks/?url=x"),
      }),
      prepare: (c, { headers }) => {
        if (c.type !== undefined) headers.push(["content-type", c.type]);
        const valid = JSON.stringify(newInbox().url).slice(1, -1);
        const body = bodyOf(c.body);
        const text =
          typeof body === "string" ? body.replaceAll("$valid", valid).replaceAll("$inbox", trap.id) : body;
        const request = toRequest({ method: "POST", target: c.target, headers, body: text });
        return { request };
      },
      check: (answer, { request, c, caller, watch }) => {
        if (!caller) expect(answer.code).toBe("unauthorized");
        else if (answer.code !== "rate_limited") {
          if (!isJsonMediaType(request.headers.get("content-type")))
            expect(answer.code).toBe("unsupported_media_type");
          else if (bodyLength(c.body) > MAX_BODY_BYTES) expect(answer.code).toBe("payload_too_large");
          else if (answer.status >= 400) expect(POST_CODES).toContain(answer.code);
          else expect(answer.status).toBe(201);
        }
        if (answer.code === "webhook_url_refused") expect(typeof answer.json?.reason).toBe("string");
        if (answer.status === 201) {
          const created = answer.json as { id: string; url: string; events: string[]; secret: string };
          expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
          expect(created.events.length).toBeGreaterThan(0);
          const host = new URL(created.url).hostname;
          expect(new URL(created.url).protocol).toBe("https:");
          const safe = isIpLiteral(host)
            ? blockedAddressKind(host) === null
            : host.endsWith(".receiver.example");
          expect(safe, created.url).toBe(true);
          watch.allowWebhookChange(created.id);
        }
      },
    });
    expect(tally.count("201"), "some cases registered an endpoint").toBeGreaterThan(0);
    expect(tally.count("webhook_url_refused"), "some cases were refused URLs").toBeGreaterThan(50);
    tally.expectMostlyReachedRoute(expect);
    expect(await receivedBy(trap.id)).toEqual([]);
  });
});

describe("GET /api/webhooks/ under hostile input", () => {
  it("never 5xx, only known codes, only the caller's own endpoints, nothing written", {
    timeout: 300_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: oneEndpointEach,
      every: 100,
      cases: fc.record({
        method: mostlyMethod("GET", "HEAD", "get", "PUT", "DELETE", "PATCH"),
        auth: authSpec(),
        path: fc.constantFrom("/api/webhooks/", "/api/webhooks", "/api/webhooks//", "/api/webhooks/?"),
        query: queryString(
          ["limit", "cursor", "url", "events"],
          fc.oneof(oddText(20), fc.constantFrom("1", "")),
        ),
        noise: noiseHeaders,
      }),
      prepare: (c, { headers }) => {
        const target = `${c.path}${c.path.includes("?") ? "" : "?"}${c.query}`;
        return { request: toRequest({ method: c.method, target, headers }) };
      },
      check: (answer, { request, caller }) => {
        const where = webhooksTarget(request, caller?.endpointId);
        if (where.under && !caller) expect(answer.code).toBe("unauthorized");
        else if (where.isCollection && answer.code !== "rate_limited") {
          if (request.method !== "GET" && request.method !== "HEAD") expect(answer.code).toBe("not_found");
          else if (answer.status === 200 && request.method === "GET") {
            const body = answer.json as { webhooks: { id: string }[] };
            expect(body.webhooks.map((w) => w.id)).toEqual([caller!.endpointId]);
            expect(JSON.stringify(body)).not.toContain("whsec_");
          } else if (answer.status !== 200) expect(isOneOf(answer, request, "validation_failed")).toBe(true);
        }
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });
});

const limitValue = fc.oneof(
  fc.constantFrom("1", "20", "100", "0", "101", "-1", "1e2", "01", " 5", "0x10", "1.5", "", "NaN", "٥"),
  fc.integer().map(String),
  oddText(10),
);

const itemSuffix = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("", "", "/", "/deliveries", "/deliveries/", "/deliveries") },
  {
    weight: 3,
    arbitrary: queryString(["limit", "cursor"], limitValue).map((q) => `/deliveries?${q}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("/deliveries/x", "//deliveries", "/Deliveries", "?x=1", "/secret"),
  },
  { weight: 1, arbitrary: oddText(12).map((t) => `/${encodeURIComponentLoose(t)}`) },
);

describe("GET /api/webhooks/:id and /api/webhooks/:id/deliveries under hostile input", () => {
  it("never 5xx, only known codes, only the caller's own endpoint, never its secret, nothing written", {
    timeout: 400_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: oneEndpointEach,
      every: 100,
      numRuns: 4_000,
      cases: fc.record({
        method: mostlyMethod("GET", "HEAD", "get", "POST", "PUT"),
        auth: authSpec(),
        id: eventIdText(),
        suffix: itemSuffix,
        noise: noiseHeaders,
      }),
      prepare: (c, { callers, headers }) => {
        const ids = { own: callers.mine.endpointId, foreign: callers.other.endpointId };
        const target = withEventIds(`/api/webhooks/${c.id}${c.suffix}`, ids);
        return { request: toRequest({ method: c.method, target, headers }) };
      },
      check: (answer, { request, caller }) => {
        const where = webhooksTarget(request, caller?.endpointId);
        const readable = request.method === "GET" || request.method === "HEAD";
        if (where.under && !caller) expect(answer.code).toBe("unauthorized");
        else if (where.under && !where.isCollection && answer.code !== "rate_limited") {
          if (!readable || (!where.isItem && !where.isDeliveries)) expect(answer.code).toBe("not_found");
          else if (where.isItem) {
            if (where.isOwn) expect(answer.status).toBe(200);
            else expect(answer.code).toBe("not_found");
            if (answer.status === 200 && request.method === "GET") {
              expect(answer.json).toMatchObject({ id: caller!.endpointId });
              expect(answer.json).not.toHaveProperty("secret");
            }
          } else if (where.isOwn) {
            expect([200, 422]).toContain(answer.status);
            if (answer.status === 200 && request.method === "GET")
              expect(answer.json).toEqual({ deliveries: [] });
          } else expect(isOneOf(answer, request, "validation_failed", "not_found")).toBe(true);
        }
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });
});

describe("DELETE /api/webhooks/:id under hostile input", () => {
  it("never 5xx, only known codes; only the caller's own endpoint is deleted, once", {
    timeout: 300_000,
  }, async ({ expect }) => {
    const deleted = new Set<string>();
    const tally = await runRouteProperty({
      expect,
      accounts: oneEndpointEach,
      every: 50,
      cases: fc.record({
        method: mostlyMethod("DELETE", "delete", "PUT", "PATCH"),
        auth: authSpec(),
        id: eventIdText(3),
        suffix: fc.constantFrom("", "", "", "/", "?x=1", "/deliveries", "//"),
        type: fc.option(contentType, { nil: undefined, freq: 4 }),
        body: fc.option(bodySpec(createBody), { nil: undefined, freq: 4 }),
        noise: noiseHeaders,
      }),
      prepare: (c, { callers, headers }) => {
        const ids = { own: callers.mine.endpointId, foreign: callers.other.endpointId };
        if (c.type !== undefined) headers.push(["content-type", c.type]);
        const target = withEventIds(`/api/webhooks/${c.id}${c.suffix}`, ids);
        const body = c.body && bodyOf(c.body);
        return { request: toRequest({ method: c.method, target, headers, ...(body ? { body } : {}) }) };
      },
      check: (answer, { request, caller, watch }) => {
        const where = webhooksTarget(request, caller?.endpointId);
        if (where.under && !caller) expect(answer.code).toBe("unauthorized");
        else if (where.under && answer.code !== "rate_limited") {
          const first = where.isOwn && !deleted.has(caller!.endpointId);
          if (request.method === "DELETE" && where.isItem && first) expect(answer.status).toBe(204);
          else expect(answer.code).toBe("not_found");
        }
        if (answer.status === 204) {
          deleted.add(caller!.endpointId);
          watch.allowWebhookChange(caller!.endpointId);
        }
      },
    });
    expect(deleted.size, "some cases deleted a real endpoint").toBeGreaterThan(0);
    tally.expectMostlyReachedRoute(expect);
  });
});
