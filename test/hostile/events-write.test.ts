// Layer: contract over HTTP (exports.default.fetch), property-based (fast-check) with the Google emulator and
// local D1/KV. Issue "Hostile input (in CI)": POST /api/events/, PATCH and DELETE /api/events/:id under
// hostile bodies, content types, idempotency keys, ids (path tricks, encodings, unicode, very long), methods,
// headers and tokens.
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  authSpec,
  bodyLength,
  bodyOf,
  bodySpec,
  contentType,
  createBodyValue,
  eventIdText,
  MAX_BODY_BYTES,
  mostlyMethod,
  noiseHeaders,
  patchBodyValue,
  withEventIds,
} from "../support/arbitraries";
import { eventsTarget, isJsonMediaType, oneEventEach, runRouteProperty, toRequest } from "../support/hostile";

const idempotencyKey = fc.oneof(
  { weight: 30, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,40}$/) },
  { weight: 2, arbitrary: fc.constantFrom("key-1", "key-2") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "a b",
      "k".repeat(256),
      "k".repeat(8_000),
      "\t",
      "a,b",
      "a\u007fb",
      "%00",
    ),
  },
  // Non-ASCII goes out as UTF-8 (workerd warns once for each), so it comes rarely.
  { weight: 1, arbitrary: fc.constantFrom("ключ", "🔑") },
);

const ROUTE_CODES = [
  "unsupported_media_type",
  "payload_too_large",
  "invalid_json",
  "validation_failed",
  "idempotency_key_invalid",
  "idempotency_key_reused",
];

describe("POST /api/events/ under hostile input", () => {
  it("never answers 5xx, always a coded problem, and writes only for a valid create", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: async () => ({}),
      every: 50,
      cases: fc.record({
        auth: authSpec(),
        type: contentType,
        body: bodySpec(createBodyValue),
        key: idempotencyKey,
        // Repeated headers: the Worker sees them joined ("a, b"), as HTTP says.
        repeat: fc.option(
          fc.tuple(fc.constantFrom("content-type", "idempotency-key"), fc.option(contentType)),
          {
            nil: undefined,
            freq: 10,
          },
        ),
        noise: noiseHeaders,
        target: fc.constantFrom("/api/events/", "/api/events/", "/api/events", "/api/events/?summary=x"),
      }),
      prepare: (c, { headers }) => {
        if (c.type !== undefined) headers.push(["content-type", c.type]);
        if (c.key !== undefined) headers.push(["idempotency-key", c.key]);
        // No empty halves: on the wire an empty repeat vanishes, so the Worker would see one header.
        const first = c.repeat?.[0] === "content-type" ? c.type : c.key;
        if (c.repeat && first?.trim()) headers.push([c.repeat[0], c.repeat[1]?.trim() || "application/json"]);
        const request = toRequest({ method: "POST", target: c.target, headers, body: bodyOf(c.body) });
        return { request };
      },
      check: (answer, { request, c, caller, watch }) => {
        if (!caller) expect(answer.code).toBe("unauthorized");
        else if (answer.code !== "rate_limited") {
          if (!isJsonMediaType(request.headers.get("content-type")))
            expect(answer.code).toBe("unsupported_media_type");
          else if (bodyLength(c.body) > MAX_BODY_BYTES) expect(answer.code).toBe("payload_too_large");
          else if (answer.status >= 400) expect(ROUTE_CODES).toContain(answer.code);
          else expect([200, 201]).toContain(answer.status);
        }
        if (answer.status === 201) watch.allowEventWrite(caller!, String(answer.json?.id), 2);
      },
    });
    expect(tally.count("201"), "some cases were valid creates").toBeGreaterThan(0);
    tally.expectMostlyReachedRoute(expect);
  });
});

const methodFor = (preferred: string) => mostlyMethod(preferred, preferred.toLowerCase(), "PUT", "POST");

const suffix = fc.constantFrom("", "", "", "", "/", "?x=1", "//");

describe("PATCH and DELETE /api/events/:id under hostile input", () => {
  it("PATCH: never 5xx, always a coded problem; Google and D1 change only for a valid edit of one's event", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: oneEventEach,
      every: 50,
      cases: fc.record({
        method: methodFor("PATCH"),
        auth: authSpec(),
        id: eventIdText(14),
        suffix,
        type: contentType,
        body: bodySpec(patchBodyValue),
        noise: noiseHeaders,
      }),
      prepare: (c, { callers, headers }) => {
        const ids = { own: callers.mine.eventId, foreign: callers.other.eventId };
        if (c.type !== undefined) headers.push(["content-type", c.type]);
        const target = withEventIds(`/api/events/${c.id}${c.suffix}`, ids);
        const request = toRequest({ method: c.method, target, headers, body: bodyOf(c.body) });
        return { request };
      },
      check: (answer, { request, c, caller, watch }) => {
        const where = eventsTarget(request, caller);
        if (where.underEvents && !caller) expect(answer.code).toBe("unauthorized");
        // POST on the collection is a create by another name, judged above (and may write, below).
        else if (
          where.underEvents &&
          answer.code !== "rate_limited" &&
          !(request.method === "POST" && where.isCollection)
        ) {
          if (request.method !== "PATCH" || !where.isItem) {
            // PUT, POST on an item, "patch" (kept lowercase, so no route), deeper paths.
            expect(answer.code).toBe("not_found");
          } else if (!isJsonMediaType(request.headers.get("content-type"))) {
            expect(answer.code).toBe("unsupported_media_type");
          } else if (bodyLength(c.body) > MAX_BODY_BYTES) {
            expect(answer.code).toBe("payload_too_large");
          } else if (answer.status === 200) {
            expect(where.isOwn, "edited someone else's event").toBe(true);
          } else {
            // The body is judged before the event is looked up, for every id alike.
            expect(["invalid_json", "validation_failed", "not_found"]).toContain(answer.code);
          }
        }
        if (answer.status === 200 && where.isOwn) watch.allowEventWrite(caller!, caller!.eventId, 3);
        if (answer.status === 201) watch.allowEventWrite(caller!, String(answer.json?.id), 2);
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });

  it("DELETE: never 5xx, always a coded problem; only the caller's own event is cancelled, once", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const cancelled = new Set<string>();
    const tally = await runRouteProperty({
      expect,
      accounts: oneEventEach,
      every: 50,
      cases: fc.record({
        method: methodFor("DELETE"),
        auth: authSpec(),
        id: eventIdText(3),
        suffix,
        type: fc.option(contentType, { nil: undefined, freq: 4 }),
        body: fc.option(bodySpec(patchBodyValue), { nil: undefined, freq: 4 }),
        noise: noiseHeaders,
      }),
      prepare: (c, { callers, headers }) => {
        const ids = { own: callers.mine.eventId, foreign: callers.other.eventId };
        if (c.type !== undefined) headers.push(["content-type", c.type]);
        const target = withEventIds(`/api/events/${c.id}${c.suffix}`, ids);
        const body = c.body && bodyOf(c.body);
        const request = toRequest({ method: c.method, target, headers, ...(body ? { body } : {}) });
        return { request };
      },
      check: (answer, { request, caller, watch }) => {
        const where = eventsTarget(request, caller);
        if (where.underEvents && !caller) expect(answer.code).toBe("unauthorized");
        else if (where.underEvents && answer.code !== "rate_limited") {
          if (request.method === "DELETE" && where.isOwn) expect(answer.status).toBe(204);
          else if (!(request.method === "POST" && where.isCollection)) expect(answer.code).toBe("not_found");
        }
        // Only the first cancellation writes; repeating it must leave everything as it is.
        if (answer.status === 204 && where.isOwn && !cancelled.has(caller!.eventId)) {
          cancelled.add(caller!.eventId);
          watch.allowEventWrite(caller!, caller!.eventId, 1);
        }
        if (answer.status === 201) watch.allowEventWrite(caller!, String(answer.json?.id), 2);
      },
    });
    expect(cancelled.size, "some cases cancelled a real event").toBeGreaterThan(0);
    tally.expectMostlyReachedRoute(expect);
  });
});
