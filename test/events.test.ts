// Layer: contract over HTTP (exports.default.fetch) against the Google emulator and local D1.
// CONTRACT.md "Routes": /api/events/ create, list, read, PATCH, DELETE; Event JSON.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, problemOf } from "./support/app";
import { createEvent, type EventJson, eventBody } from "./support/events";
import { callsOf, googleEventsOf } from "./support/google";
import { signIn } from "./support/sign-in";

describe("POST /api/events/", () => {
  it("creates the event at Google and in D1, with no Google notifications", async ({ expect }) => {
    const user = await signIn();
    const { res, event } = await createEvent(user.token, {
      participants: ["Ada@Example.com", "grace@example.com", "ada@example.com"],
      description: "Quarterly planning",
      location: "Room 1",
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/api/events/${event.id}`);
    expect(event).toMatchObject({
      status: "confirmed",
      summary: "Planning",
      description: "Quarterly planning",
      location: "Room 1",
      participants: ["ada@example.com", "grace@example.com"],
      start_time: "2026-12-01T10:00:00+01:00",
      end_time: "2026-12-01T11:00:00+01:00",
      time_zone: "Europe/Berlin",
      meet_url: null,
    });
    expect(event.google_event_id).toMatch(/^[a-v0-9]{5,1024}$/);
    expect(event.ical_uid).toBe(`${event.google_event_id}@google.com`);
    expect(event.html_link).toMatch(/^https:\/\//);
    expect(event.emails.map((e) => [e.to, e.kind])).toEqual([
      ["ada@example.com", "created"],
      ["grace@example.com", "created"],
    ]);

    const [google] = await googleEventsOf(user.email);
    expect(google).toMatchObject({
      id: event.google_event_id,
      status: "confirmed",
      summary: "Planning",
      start: { dateTime: "2026-12-01T10:00:00+01:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-12-01T11:00:00+01:00", timeZone: "Europe/Berlin" },
    });
    expect(google!.attendees?.map((a) => a.email)).toEqual(["ada@example.com", "grace@example.com"]);
    const inserts = await callsOf(user.email, "events.insert");
    expect(inserts).toHaveLength(1);
    expect(inserts[0]!.query.sendUpdates).toBe("none");

    const row = await env.DB.prepare("SELECT google_event_id, pending_op FROM events WHERE id = ?")
      .bind(event.id)
      .first();
    expect(row).toEqual({ google_event_id: event.google_event_id, pending_op: null });
  });

  it("defaults summary and time zone like the original", async ({ expect }) => {
    const user = await signIn();
    const { res, event } = await createEvent(user.token, {
      summary: undefined,
      time_zone: undefined,
      start_time: "2026-12-01T10:00:00Z",
      end_time: "2026-12-01T10:30:00Z",
    });
    expect(res.status).toBe(201);
    expect(event.summary).toBe("Meeting with 2 participants");
    expect(event.time_zone).toBe("UTC");
    expect(event.start_time).toBe("2026-12-01T10:00:00Z");
  });

  it("reads wall-clock times in the event's zone; a DST gap moves forward by the gap", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token, {
      start_time: "2026-03-29T02:30:00",
      end_time: "2026-03-29T04:00:00",
      time_zone: "Europe/Berlin",
    });
    expect(event.start_time).toBe("2026-03-29T03:30:00+02:00");
    expect(event.end_time).toBe("2026-03-29T04:00:00+02:00");
    const summer = await createEvent(user.token, {
      start_time: "2026-07-01T09:00:00",
      end_time: "2026-07-01T10:00:00",
      time_zone: "America/New_York",
    });
    expect(summer.event.start_time).toBe("2026-07-01T09:00:00-04:00");
  });

  it("stores the time zone in its canonical spelling", async ({ expect }) => {
    const user = await signIn();
    const { res, event } = await createEvent(user.token, { time_zone: "europe/berlin" });
    expect(res.status).toBe(201);
    expect(event.time_zone).toBe("Europe/Berlin");
    const [google] = await googleEventsOf(user.email);
    expect(google!.start.timeZone).toBe("Europe/Berlin");
  });

  it("asks Google for a Meet link when conference is google_meet", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token, { conference: "google_meet" });
    expect(event.meet_url).toMatch(/^https:\/\/meet\.google\.com\//);
    const inserts = await callsOf(user.email, "events.insert");
    expect(inserts[0]!.query.conferenceDataVersion).toBe("1");
  });

  describe("with an Idempotency-Key", () => {
    it("returns the same event for the same body and keeps one Google event", async ({ expect }) => {
      const user = await signIn();
      const headers = { "idempotency-key": "order-42" };
      const first = await createEvent(user.token, {}, headers);
      const second = await createEvent(user.token, {}, headers);
      expect(first.res.status).toBe(201);
      expect(second.res.status).toBe(200);
      expect(second.event.id).toBe(first.event.id);
      expect(await googleEventsOf(user.email)).toHaveLength(1);
    });

    it("refuses the same key with another body (422)", async ({ expect }) => {
      const user = await signIn();
      const headers = { "idempotency-key": "order-43" };
      await createEvent(user.token, {}, headers);
      const other = await createEvent(user.token, { summary: "Something else" }, headers);
      expect(other.res.status).toBe(422);
      expect((await problemOf(other.res)).code).toBe("idempotency_key_reused");
    });

    it("scopes keys per account", async ({ expect }) => {
      const a = await signIn();
      const b = await signIn();
      const headers = { "idempotency-key": "shared" };
      const ea = await createEvent(a.token, {}, headers);
      const eb = await createEvent(b.token, {}, headers);
      expect(eb.res.status).toBe(201);
      expect(eb.event.id).not.toBe(ea.event.id);
    });

    it("rejects an absurd key with 400", async ({ expect }) => {
      const user = await signIn();
      const res = await createEvent(user.token, {}, { "idempotency-key": "x".repeat(300) });
      expect(res.res.status).toBe(400);
      expect((await problemOf(res.res)).code).toBe("idempotency_key_invalid");
    });
  });
});

describe("validation", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["no participants", { participants: [] }, "participants"],
    ["a bad address", { participants: ["not-an-email"] }, "participants.0"],
    [
      "too many participants",
      { participants: Array.from({ length: 101 }, (_, i) => `p${i}@example.com`) },
      "participants",
    ],
    ["end before start", { end_time: "2026-12-01T09:00:00+01:00" }, "end_time"],
    ["end equal to start", { end_time: "2026-12-01T10:00:00+01:00" }, "end_time"],
    ["longer than 31 days", { end_time: "2027-01-05T10:00:00+01:00" }, "end_time"],
    ["malformed start", { start_time: "tomorrow at ten" }, "start_time"],
    ["impossible date", { start_time: "2026-02-30T10:00:00Z" }, "start_time"],
    ["unknown time zone", { time_zone: "Mars/Olympus_Mons" }, "time_zone"],
    ["unknown field", { colour: "red" }, "colour"],
    ["wrong type", { participants: "ada@example.com" }, "participants"],
    ["summary too long", { summary: "x".repeat(1025) }, "summary"],
    ["description too long", { description: "x".repeat(8193) }, "description"],
    ["unknown conference", { conference: "zoom" }, "conference"],
  ];
  for (const [name, overrides, path] of cases) {
    it(`rejects ${name} with 422 validation_failed at ${path}`, async ({ expect }) => {
      const user = await signIn();
      const { res } = await createEvent(user.token, overrides);
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = await problemOf(res);
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors?.map((e) => e.path)).toContain(path);
      expect(await googleEventsOf(user.email)).toEqual([]);
    });
  }

  it("lists every failing field at once", async ({ expect }) => {
    const user = await signIn();
    const res = await api("/api/events/", {
      method: "POST",
      token: user.token,
      body: { participants: [], start_time: 5 },
    });
    const problem = await problemOf(res);
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(["end_time", "participants", "start_time"]);
  });

  for (const [name, body, contentType, status, code] of [
    ["non-JSON", "participants=a", "application/json", 400, "invalid_json"],
    ["empty", "", "application/json", 400, "invalid_json"],
    ["a JSON array", "[]", "application/json", 422, "validation_failed"],
    ["form-encoded", "a=b", "application/x-www-form-urlencoded", 415, "unsupported_media_type"],
    [
      "over 64 KiB",
      JSON.stringify(eventBody({ description: "x".repeat(70_000) })),
      "application/json",
      413,
      "payload_too_large",
    ],
  ] as const) {
    it(`answers ${status} ${code} for a ${name} body`, async ({ expect }) => {
      const user = await signIn();
      const res = await api("/api/events/", {
        method: "POST",
        token: user.token,
        body,
        headers: { "content-type": contentType },
      });
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect((await problemOf(res)).code).toBe(code);
    });
  }
});

describe("GET /api/events/", () => {
  it("pages through the caller's own events by start time with a cursor", async ({ expect }) => {
    const user = await signIn();
    const other = await signIn();
    await createEvent(other.token);
    for (const day of [5, 3, 4, 1, 2]) {
      await createEvent(user.token, {
        start_time: `2026-12-0${day}T10:00:00Z`,
        end_time: `2026-12-0${day}T11:00:00Z`,
        summary: `Day ${day}`,
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api(`/api/events/?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
        token: user.token,
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { events: EventJson[]; next_cursor: string | null };
      seen.push(...body.events.map((e) => e.summary));
      cursor = body.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["Day 1", "Day 2", "Day 3", "Day 4", "Day 5"]);
    expect(pages).toBe(3);
  });

  it("filters by a from/to window on the start time", async ({ expect }) => {
    const user = await signIn();
    for (const day of [1, 2, 3]) {
      await createEvent(user.token, {
        start_time: `2026-12-0${day}T10:00:00Z`,
        end_time: `2026-12-0${day}T11:00:00Z`,
        summary: `D${day}`,
      });
    }
    const res = await api("/api/events?from=2026-12-02T00:00:00Z&to=2026-12-03T00:00:00Z", {
      token: user.token,
    });
    const body = (await res.json()) as { events: EventJson[] };
    expect(body.events.map((e) => e.summary)).toEqual(["D2"]);
  });

  it("rejects a bad limit or cursor with 422", async ({ expect }) => {
    const user = await signIn();
    for (const q of ["limit=0", "limit=101", "limit=abc", "cursor=garbage", "from=yesterday", "unknown=1"]) {
      const res = await api(`/api/events/?${q}`, { token: user.token });
      expect(res.status, q).toBe(422);
      expect((await problemOf(res)).code).toBe("validation_failed");
    }
  });
});

describe("tenant isolation", () => {
  it("hides another account's event: GET, PATCH and DELETE are 404", async ({ expect }) => {
    const owner = await signIn();
    const intruder = await signIn();
    const { event } = await createEvent(owner.token);
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const res = await api(`/api/events/${event.id}`, {
        method,
        token: intruder.token,
        ...(method === "PATCH" ? { body: { summary: "mine now" } } : {}),
      });
      expect(res.status, method).toBe(404);
      expect((await problemOf(res)).code).toBe("not_found");
    }
    const still = await api(`/api/events/${event.id}`, { token: owner.token });
    const read = (await still.json()) as EventJson;
    expect(read.summary).toBe("Planning");
    expect(read.participants).toEqual(["ada@example.com", "grace@example.com"]);
    expect(read.emails.map((e) => [e.to, e.kind])).toEqual([
      ["ada@example.com", "created"],
      ["grace@example.com", "created"],
    ]);
  });
});

describe("PATCH /api/events/:id", () => {
  it("reschedules at Google (sequence grows) and in D1, and queues mail for everyone", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    const res = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: {
        start_time: "2026-12-02T10:00:00",
        end_time: "2026-12-02T12:00:00",
        participants: ["ada@example.com", "new@example.com"],
      },
    });
    expect(res.status).toBe(200);
    const updated = (await res.json()) as EventJson;
    expect(updated.start_time).toBe("2026-12-02T10:00:00+01:00");
    expect(updated.participants).toEqual(["ada@example.com", "new@example.com"]);
    const [google] = await googleEventsOf(user.email);
    expect(google!.start.dateTime).toBe("2026-12-02T10:00:00+01:00");
    expect(google!.sequence).toBe(1);
    const patches = await callsOf(user.email, "events.patch");
    expect(patches.map((p) => p.query.sendUpdates)).toEqual(["none"]);
    const kinds = updated.emails.map((e) => `${e.kind}:${e.to}`).sort();
    expect(kinds).toEqual([
      "cancelled:grace@example.com",
      "created:ada@example.com",
      "created:grace@example.com",
      "updated:ada@example.com",
      "updated:new@example.com",
    ]);
  });

  it("validates the merged event (end after start)", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    const res = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { end_time: "2026-12-01T09:00:00+01:00" },
    });
    expect(res.status).toBe(422);
    expect((await problemOf(res)).errors?.[0]?.path).toBe("end_time");
    const empty = await api(`/api/events/${event.id}`, { method: "PATCH", token: user.token, body: {} });
    expect(empty.status).toBe(422);
  });
});

describe("DELETE /api/events/:id", () => {
  it("cancels at Google, keeps the record as cancelled, and is idempotent", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    const res = await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token });
    expect(res.status).toBe(204);
    const [google] = await googleEventsOf(user.email);
    expect(google!.status).toBe("cancelled");
    const again = await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token });
    expect(again.status).toBe(204);
    expect(await callsOf(user.email, "events.delete")).toHaveLength(1);
    const read = (await (await api(`/api/events/${event.id}`, { token: user.token })).json()) as EventJson;
    expect(read.status).toBe("cancelled");
    expect(read.emails.filter((e) => e.kind === "cancelled").map((e) => e.to)).toEqual([
      "ada@example.com",
      "grace@example.com",
    ]);
    const patch = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { summary: "x" },
    });
    expect(patch.status).toBe(409);
    expect((await problemOf(patch)).code).toBe("event_cancelled");
  });

  it("treats an event already deleted in Google Calendar as done", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    const { injectFault } = await import("./support/google");
    await injectFault({ endpoint: "events.delete", account: user.email, status: 410 });
    const res = await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token });
    expect(res.status).toBe(204);
  });
});
