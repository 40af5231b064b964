// Layer: contract over HTTP (exports.default.fetch), property-based (fast-check) with the Google emulator and
// local D1/KV. Issue "Hostile input (in CI)": GET /api/events/:id under hostile ids and GET /api/events/
// under hostile queries (limit, cursor, from, to, unknown and repeated keys, broken encodings).
import fc from "fast-check";
import { describe, it } from "vitest";
import { api } from "../support/app";
import {
  asciiText,
  authSpec,
  dateTimeText,
  encodeURIComponentLoose,
  eventIdText,
  noiseHeaders,
  oddText,
  withEventIds,
} from "../support/arbitraries";
import { createEvent } from "../support/events";
import { eventsTarget, oneEventEach, runRouteProperty, toRequest } from "../support/hostile";
import type { SignedIn } from "../support/sign-in";

/** Two events and the cursor after the first, so real and doctored cursors can be sent. */
async function twoEventsAndACursor(user: SignedIn): Promise<{ eventIds: string[]; cursor: string }> {
  const first = await createEvent(user.token, {
    start_time: "2026-12-01T10:00:00Z",
    end_time: "2026-12-01T11:00:00Z",
  });
  const second = await createEvent(user.token, {
    start_time: "2026-12-02T10:00:00Z",
    end_time: "2026-12-02T11:00:00Z",
  });
  const page = (await (await api("/api/events/?limit=1", { token: user.token })).json()) as {
    next_cursor: string;
  };
  return { eventIds: [first.event.id, second.event.id], cursor: page.next_cursor };
}

const b64url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

const limitValue = fc.oneof(
  fc.constantFrom("1", "2", "20", "100", "0", "101", "-1", "1e2", "01", "020", " 5", "5 ", "0x10", "1.5", ""),
  fc.constantFrom("NaN", "Infinity", "9".repeat(400), "١", "５"),
  fc.integer().map(String),
);

/** `$cursor` is the account's real cursor; the rest are forgeries of every kind. */
const cursorValue = fc.oneof(
  fc.constantFrom("$cursor", "$cursor", "$cursorx", "x$cursor", "$cursor=", "$cursor$cursor"),
  fc.stringMatching(/^[A-Za-z0-9_-]{0,80}$/),
  fc
    .oneof(
      fc.constantFrom(
        '{"s":"2026-01-01T00:00:00Z","i":"x"}',
        '{"s":"2026-01-01T00:00:00Z","i":1}',
        '{"s":"nope","i":"x"}',
        '{"s":"2026-01-01T00:00:00Z"}',
        '{"s":"2026-01-01T00:00:00Z","i":"x","extra":1}',
        `{"s":"2026-01-01T00:00:00Z","i":"${"i".repeat(65)}"}`,
        "[]",
        "null",
        "{",
      ),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    )
    .map(b64url),
  oddText(40),
  fc.constant("c".repeat(600)),
);

const listQuery = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 3, arbitrary: fc.tuple(fc.constant("limit"), limitValue) },
        { weight: 3, arbitrary: fc.tuple(fc.constant("cursor"), cursorValue) },
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom("from", "to"), dateTimeText) },
        { weight: 1, arbitrary: fc.tuple(fc.oneof(asciiText(8), oddText(8)), oddText(20)) },
      ),
      fc.constantFrom("encode", "encode", "encode", "raw"),
    ),
    { maxLength: 5 },
  )
  .map((pairs) =>
    pairs
      .map(([[k, v], how]) =>
        how === "raw"
          ? `${k}=${v}`.replace(/[#\s]/g, "+")
          : `${encodeURIComponentLoose(k)}=${encodeURIComponentLoose(v)}`,
      )
      .join("&"),
  );

describe("GET /api/events/ and /api/events/:id under hostile input", () => {
  it("GET :id: never 5xx, always a coded problem, only the caller's own event, nothing written", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: oneEventEach,
      every: 100,
      cases: fc.record({
        auth: authSpec(),
        id: eventIdText(),
        suffix: fc.constantFrom("", "", "", "", "/", "?x=1", "?id=$foreign", "#frag", "//"),
        noise: noiseHeaders,
      }),
      prepare: (c, { callers, headers }) => {
        const ids = { own: callers.mine.eventId, foreign: callers.other.eventId };
        const request = toRequest({
          method: "GET",
          target: withEventIds(`/api/events/${c.id}${c.suffix}`, ids),
          headers,
        });
        return { request };
      },
      check: (answer, { request, caller }) => {
        const where = eventsTarget(request, caller);
        if (where.underEvents && !caller) expect(answer.code).toBe("unauthorized");
        else if (where.underEvents && answer.code !== "rate_limited") {
          if (where.isCollection) expect([200, 422]).toContain(answer.status);
          else if (where.isOwn)
            expect(answer.json).toMatchObject({ id: caller!.eventId, status: "confirmed" });
          else expect(answer.code).toBe("not_found");
        }
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });

  it("GET list: never 5xx, always a coded problem, only the caller's own events, nothing written", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      accounts: twoEventsAndACursor,
      every: 100,
      cases: fc.record({
        auth: authSpec(),
        path: fc.constantFrom(
          "/api/events/",
          "/api/events/",
          "/api/events",
          "/api/events//",
          "/api/events/?",
        ),
        query: listQuery,
        noise: noiseHeaders,
      }),
      prepare: (c, { callers, headers }) => {
        const query = c.query.replaceAll("%24cursor", "$cursor").replaceAll("$cursor", callers.mine.cursor);
        const target = `${c.path}${c.path.includes("?") ? "" : "?"}${query}`;
        const request = toRequest({ method: "GET", target, headers });
        return { request };
      },
      check: (answer, { request, caller }) => {
        const where = eventsTarget(request, caller);
        if (where.underEvents && !caller) expect(answer.code).toBe("unauthorized");
        else if (where.isCollection && answer.code !== "rate_limited") {
          expect([200, 422]).toContain(answer.status);
          if (answer.status === 200) {
            const body = answer.json as { events: { id: string }[]; next_cursor: unknown };
            expect(caller!.eventIds).toEqual(expect.arrayContaining(body.events.map((e) => e.id)));
            expect(body.next_cursor === null || typeof body.next_cursor === "string").toBe(true);
          } else expect(answer.code).toBe("validation_failed");
        }
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });
});
