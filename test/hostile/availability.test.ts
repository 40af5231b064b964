// Layer: contract over HTTP (exports.default.fetch), property-based (fast-check) with the Google emulator and
// local D1/KV. GET /api/availability under hostile queries (windows, zones, durations, calendar lists,
// unknown and repeated keys, broken encodings) and GET /api/calendars under hostile methods and paths.
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  asciiText,
  authSpec,
  dateTimeText,
  encodeURIComponentLoose,
  mostlyMethod,
  noiseHeaders,
  oddText,
} from "../support/arbitraries";
import { runRouteProperty, toRequest } from "../support/hostile";

const noSetup = async () => ({});

const zoneValue = fc.oneof(
  fc.constantFrom("UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham"),
  fc.constantFrom("", "utc", "Mars/Olympus", "+01:00", "Factory", "Europe/Berlin\u0000", "../etc", "Z"),
  oddText(20),
);

const durationValue = fc.oneof(
  fc.integer({ min: -5, max: 2000 }).map(String),
  fc.constantFrom("30", "1", "1440", "1441", "0", "1e2", "30.5", " 30", "٣٠", "9".repeat(40), ""),
);

const calendarsValue = fc.oneof(
  fc.constantFrom(
    "primary",
    "primary,primary",
    "team@group.calendar.google.com",
    "primary,nobody@group.calendar.google.com",
    "",
    ",",
    "a b",
    "primary,",
    "x".repeat(300),
    Array.from({ length: 25 }, (_, i) => `c${i}@group.calendar.google.com`).join(","),
  ),
  fc.array(fc.oneof(asciiText(30), oddText(12)), { maxLength: 4 }).map((ids) => ids.join(",")),
);

/** Windows that are mostly valid, so most cases reach Google: from a few hours to past 62 days. */
const validWindow = fc
  .record({
    start: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
    hours: fc.oneof(fc.integer({ min: 1, max: 72 }), fc.integer({ min: 1400, max: 1600 })),
  })
  .map(({ start, hours }) => ({
    from: new Date(start).toISOString(),
    to: new Date(start + hours * 3_600_000).toISOString(),
  }));

const availabilityQuery = fc
  .tuple(
    fc.option(validWindow, { nil: undefined }),
    fc.array(
      fc.tuple(
        fc.oneof(
          { weight: 3, arbitrary: fc.tuple(fc.constantFrom("from", "to"), dateTimeText) },
          { weight: 2, arbitrary: fc.tuple(fc.constant("time_zone"), zoneValue) },
          { weight: 2, arbitrary: fc.tuple(fc.constant("duration_minutes"), durationValue) },
          { weight: 2, arbitrary: fc.tuple(fc.constant("calendars"), calendarsValue) },
          { weight: 1, arbitrary: fc.tuple(fc.oneof(asciiText(8), oddText(8)), oddText(20)) },
        ),
        fc.constantFrom("encode", "encode", "encode", "raw"),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([window, pairs]) =>
    [
      ...(window ? [`from=${encodeURIComponent(window.from)}`, `to=${encodeURIComponent(window.to)}`] : []),
      ...pairs.map(([[k, v], how]) =>
        how === "raw"
          ? `${k}=${v}`.replace(/[#\s]/g, "+")
          : `${encodeURIComponentLoose(k)}=${encodeURIComponentLoose(v)}`,
      ),
    ].join("&"),
  );

describe("GET /api/availability and /api/calendars under hostile input", () => {
  it("availability: never 5xx, a coded problem or a consistent answer, nothing written", {
    timeout: 240_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: noSetup,
      every: 100,
      cases: fc.record({
        auth: authSpec(),
        path: fc.constantFrom(
          "/api/availability",
          "/api/availability/",
          "/api/availability",
          "/api//availability",
        ),
        query: availabilityQuery,
        noise: noiseHeaders,
      }),
      prepare: (c, { headers }) => ({
        request: toRequest({ method: "GET", target: `${c.path}?${c.query}`, headers }),
      }),
      check: (answer, { request, caller, watch }) => {
        const route = /^\/api\/availability\/?$/.test(new URL(request.url).pathname);
        if (!route) return expect(answer.code).toBe("not_found");
        if (!caller) return expect(answer.code).toBe("unauthorized");
        if (answer.code === "rate_limited") return;
        expect([200, 422]).toContain(answer.status);
        if (answer.status !== 200) return expect(answer.code).toBe("validation_failed");
        // One free/busy query at Google; nothing else.
        watch.allowCalls(caller, 1);
        const body = answer.json as {
          from: string;
          to: string;
          duration_minutes: number;
          busy: { start: string; end: string }[];
          free: { start: string; end: string }[];
        };
        const [from, to] = [Date.parse(body.from), Date.parse(body.to)];
        expect(to).toBeGreaterThan(from);
        expect(to - from).toBeLessThanOrEqual(62 * 86_400_000);
        for (const gap of body.free) {
          const [start, end] = [Date.parse(gap.start), Date.parse(gap.end)];
          expect(start).toBeGreaterThanOrEqual(from);
          expect(end).toBeLessThanOrEqual(to);
          expect(end - start).toBeGreaterThanOrEqual(body.duration_minutes * 60_000);
        }
        for (const busy of body.busy) expect(Date.parse(busy.end)).toBeGreaterThan(Date.parse(busy.start));
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });

  it("calendars: never 5xx; only the caller's list; nothing written", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: noSetup,
      every: 100,
      cases: fc.record({
        method: mostlyMethod("GET", "HEAD", "POST", "DELETE", "PUT", "get"),
        target: fc.constantFrom(
          "/api/calendars",
          "/api/calendars/",
          "/api/calendars?x=1",
          "/api/calendars/primary",
          "/api//calendars",
          "/API/calendars",
        ),
        auth: authSpec(),
        noise: noiseHeaders,
      }),
      prepare: (c, { headers }) => ({ request: toRequest({ method: c.method, target: c.target, headers }) }),
      check: (answer, { request, caller, watch }) => {
        const route = /^\/api\/calendars\/?$/.test(new URL(request.url).pathname);
        const readable = request.method === "GET" || request.method === "HEAD";
        if (!route || !readable) return expect(answer.code).toBe("not_found");
        if (!caller) return expect(answer.code).toBe("unauthorized");
        if (answer.code === "rate_limited") return;
        expect(answer.status).toBe(200);
        watch.allowCalls(caller, 1);
        if (request.method === "GET") {
          expect(answer.json).toEqual({
            calendars: [expect.objectContaining({ id: caller.email, primary: true, access_role: "owner" })],
          });
        }
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });
});
