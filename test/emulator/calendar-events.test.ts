// Layer: Google emulator over fetch (outboundService): Calendar v3 events insert/get/list/patch/delete.
import { describe, it } from "vitest";
import {
  CALENDAR_URL,
  calendar,
  callsOf,
  control,
  eventBody,
  signInAtGoogle,
  uniqueEmail,
} from "./google-client";

interface GoogleEvent {
  id: string;
  etag: string;
  status: string;
  sequence: number;
  iCalUID: string;
  summary?: string;
  location?: string;
  start: { dateTime?: string; date?: string; timeZone?: string };
  end: { dateTime?: string; date?: string; timeZone?: string };
  attendees?: Array<{ email: string; responseStatus: string }>;
  hangoutLink?: string;
  conferenceData?: Record<string, unknown>;
}

const EVENTS = "/calendars/primary/events";

async function signedIn() {
  const email = uniqueEmail("cal");
  const { access_token } = await signInAtGoogle(email);
  return { email, token: access_token };
}

async function insert(token: string, body: unknown, query = "sendUpdates=none"): Promise<GoogleEvent> {
  const res = await calendar(`${EVENTS}?${query}`, token, { method: "POST", json: body });
  if (res.status !== 200) throw new Error(`insert answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as GoogleEvent;
}

function errorOf(body: unknown) {
  return (body as { error: { code: number; message: string; errors: Array<{ reason: string }> } }).error;
}

describe("credentials", () => {
  it("401 with Google's body and WWW-Authenticate without a valid token", async ({ expect }) => {
    for (const token of ["", "ya29.unknown"]) {
      const res = await fetch(
        `${CALENDAR_URL}${EVENTS}`,
        token ? { headers: { authorization: `Bearer ${token}` } } : {},
      );
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe(
        'Bearer realm="https://accounts.google.com/", error="invalid_token"',
      );
      expect(await res.json()).toMatchObject({
        error: {
          code: 401,
          status: "UNAUTHENTICATED",
          errors: [{ reason: "authError", location: "Authorization" }],
        },
      });
    }
  });

  it("404 for a calendar other than primary or the account's own address", async ({ expect }) => {
    const { email, token } = await signedIn();
    expect((await calendar(`/calendars/${encodeURIComponent(email)}/events`, token)).status).toBe(200);
    const other = await calendar("/calendars/someone-else%40example.com/events", token);
    expect(other.status).toBe(404);
    expect(errorOf(await other.json()).errors[0]?.reason).toBe("notFound");
  });
});

describe("insert", () => {
  it("returns the full Event resource, with a client id, and records sendUpdates", async ({ expect }) => {
    const { email, token } = await signedIn();
    const id = `ce${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`.replace(/[w-z]/g, "a");
    const event = await insert(token, eventBody("2026-12-01T10:00:00Z", { id, location: "Room 1" }));
    expect(event).toMatchObject({
      kind: "calendar#event",
      id,
      status: "confirmed",
      summary: "Planning",
      location: "Room 1",
      iCalUID: `${id}@google.com`,
      sequence: 0,
      creator: { email, self: true },
      organizer: { email, self: true },
      start: { dateTime: "2026-12-01T10:00:00Z" },
      end: { dateTime: "2026-12-01T11:00:00Z" },
      attendees: [{ email: "guest@example.com", responseStatus: "needsAction" }],
      reminders: { useDefault: true },
      eventType: "default",
    });
    expect(event.etag).toMatch(/^"\d+"$/);
    expect(event).toHaveProperty(
      "htmlLink",
      expect.stringMatching(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/),
    );
    const [call] = await callsOf(email, "events.insert");
    expect(call).toMatchObject({ method: "POST", status: 200, query: { sendUpdates: "none" } });
  });

  it("409 duplicate for an id that exists, even cancelled", async ({ expect }) => {
    const { token } = await signedIn();
    const event = await insert(token, eventBody("2026-12-01T10:00:00Z", { id: "dup0000001" }));
    await calendar(`${EVENTS}/${event.id}`, token, { method: "DELETE" });
    const res = await calendar(EVENTS, token, {
      method: "POST",
      json: eventBody("2026-12-01T10:00:00Z", { id: "dup0000001" }),
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: {
        errors: [
          { domain: "global", reason: "duplicate", message: "The requested identifier already exists." },
        ],
        code: 409,
        message: "The requested identifier already exists.",
      },
    });
  });

  it("reads wall-clock times in timeZone and writes them back with the zone's offset", async ({ expect }) => {
    const { token } = await signedIn();
    const event = await insert(token, {
      start: { dateTime: "2026-07-01T09:00:00", timeZone: "Europe/Paris" },
      end: { dateTime: "2026-07-01T10:00:00", timeZone: "Europe/Paris" },
    });
    expect(event.start).toEqual({ dateTime: "2026-07-01T09:00:00+02:00", timeZone: "Europe/Paris" });
  });

  for (const [name, body, reason, message] of [
    ["an invalid id", eventBody(undefined, { id: "UPPER_case" }), "invalid", "Invalid resource id value."],
    ["a too short id", eventBody(undefined, { id: "abcd" }), "invalid", "Invalid resource id value."],
    [
      "end before start",
      { start: { dateTime: "2026-12-01T10:00:00Z" }, end: { dateTime: "2026-12-01T09:00:00Z" } },
      "timeRangeEmpty",
      "The specified time range is empty.",
    ],
    ["no end", { start: { dateTime: "2026-12-01T10:00:00Z" } }, "required", "Missing end time."],
    [
      "no offset and no timeZone",
      { start: { dateTime: "2026-12-01T10:00:00" }, end: { dateTime: "2026-12-01T11:00:00Z" } },
      "required",
      "Missing time zone definition for start time.",
    ],
    [
      "an unknown timeZone",
      {
        start: { dateTime: "2026-12-01T10:00:00", timeZone: "Mars/Olympus" },
        end: { dateTime: "2026-12-01T11:00:00Z" },
      },
      "invalid",
      "Invalid time zone definition for start time.",
    ],
    [
      "an attendee without email",
      eventBody(undefined, { attendees: [{ displayName: "X" }] }),
      "required",
      "Missing attendee email.",
    ],
    [
      "an invalid attendee email",
      eventBody(undefined, { attendees: [{ email: "not-an-email" }] }),
      "invalid",
      "Invalid attendee email.",
    ],
  ] as const) {
    it(`400 ${reason} for ${name}`, async ({ expect }) => {
      const { token } = await signedIn();
      const res = await calendar(EVENTS, token, { method: "POST", json: body });
      expect(res.status).toBe(400);
      expect(errorOf(await res.json())).toMatchObject({ code: 400, message, errors: [{ reason }] });
    });
  }

  it("400 for query parameters outside the discovery document", async ({ expect }) => {
    const { token } = await signedIn();
    for (const query of ["sendUpdates=everyone", "conferenceDataVersion=2"]) {
      const res = await calendar(`${EVENTS}?${query}`, token, { method: "POST", json: eventBody() });
      expect(res.status).toBe(400);
      expect(errorOf(await res.json()).errors[0]?.reason).toBe("invalidParameter");
    }
  });

  it("400 parseError for a body that is not JSON", async ({ expect }) => {
    const { token } = await signedIn();
    const res = await calendar(EVENTS, token, {
      method: "POST",
      body: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(errorOf(await res.json()).errors[0]?.reason).toBe("parseError");
  });
});

describe("Meet conference", () => {
  const createRequest = {
    createRequest: { requestId: "req-1", conferenceSolutionKey: { type: "hangoutsMeet" } },
  };

  it("creates a Meet with conferenceDataVersion=1", async ({ expect }) => {
    const { token } = await signedIn();
    const event = await insert(
      token,
      eventBody(undefined, { conferenceData: createRequest }),
      "conferenceDataVersion=1",
    );
    expect(event.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    expect(event.conferenceData).toMatchObject({
      createRequest: { requestId: "req-1", status: { statusCode: "success" } },
      entryPoints: [{ entryPointType: "video", uri: event.hangoutLink }],
      conferenceSolution: { key: { type: "hangoutsMeet" }, name: "Google Meet" },
      conferenceId: event.hangoutLink?.slice("https://meet.google.com/".length),
    });
  });

  it("ignores the create request without conferenceDataVersion=1", async ({ expect }) => {
    const { token } = await signedIn();
    const event = await insert(token, eventBody(undefined, { conferenceData: createRequest }), "");
    expect(event.conferenceData).toBeUndefined();
    expect(event.hangoutLink).toBeUndefined();
  });
});

describe("get, list, patch, delete", () => {
  it("get returns the event; unknown → 404 notFound", async ({ expect }) => {
    const { token } = await signedIn();
    const event = await insert(token, eventBody());
    const res = await calendar(`${EVENTS}/${event.id}`, token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(event);
    const missing = await calendar(`${EVENTS}/unknown00001`, token);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        errors: [{ domain: "global", reason: "notFound", message: "Not Found" }],
        code: 404,
        message: "Not Found",
      },
    });
  });

  it("list filters by time, orders by start, pages, and hides cancelled events unless showDeleted", async ({
    expect,
  }) => {
    const { token } = await signedIn();
    const late = await insert(token, eventBody("2026-12-03T10:00:00Z"));
    const early = await insert(token, eventBody("2026-12-01T10:00:00Z"));
    const middle = await insert(token, eventBody("2026-12-02T10:00:00Z"));
    const outside = await insert(token, eventBody("2027-02-01T10:00:00Z"));
    await calendar(`${EVENTS}/${middle.id}`, token, { method: "DELETE" });

    const range =
      "timeMin=2026-11-30T00:00:00Z&timeMax=2027-01-01T00:00:00Z&singleEvents=true&orderBy=startTime";
    const page1 = (await (await calendar(`${EVENTS}?${range}&maxResults=1`, token)).json()) as {
      kind: string;
      items: GoogleEvent[];
      nextPageToken?: string;
      timeZone: string;
    };
    expect(page1).toMatchObject({ kind: "calendar#events", timeZone: "UTC" });
    expect(page1.items.map((e) => e.id)).toEqual([early.id]);
    const page2 = (await (
      await calendar(`${EVENTS}?${range}&maxResults=1&pageToken=${page1.nextPageToken}`, token)
    ).json()) as { items: GoogleEvent[]; nextPageToken?: string };
    expect(page2.items.map((e) => e.id)).toEqual([late.id]);
    expect(page2.nextPageToken).toBeUndefined();

    const withDeleted = (await (await calendar(`${EVENTS}?${range}&showDeleted=true`, token)).json()) as {
      items: GoogleEvent[];
    };
    expect(withDeleted.items.map((e) => [e.id, e.status])).toEqual([
      [early.id, "confirmed"],
      [middle.id, "cancelled"],
      [late.id, "confirmed"],
    ]);
    const all = (await (await calendar(EVENTS, token)).json()) as { items: GoogleEvent[] };
    expect(all.items.map((e) => e.id)).toEqual([late.id, early.id, outside.id]);
  });

  it("list refuses orderBy=startTime without singleEvents, and an empty range", async ({ expect }) => {
    const { token } = await signedIn();
    expect((await calendar(`${EVENTS}?orderBy=startTime`, token)).status).toBe(400);
    const empty = await calendar(
      `${EVENTS}?timeMin=2026-12-02T00:00:00Z&timeMax=2026-12-01T00:00:00Z`,
      token,
    );
    expect(errorOf(await empty.json()).errors[0]?.reason).toBe("timeRangeEmpty");
  });

  it("patch merges, bumps sequence on a reschedule, changes the etag, and honours If-Match", async ({
    expect,
  }) => {
    const { token } = await signedIn();
    const event = await insert(token, eventBody("2026-12-01T10:00:00Z"));

    const renamed = (await (
      await calendar(`${EVENTS}/${event.id}?sendUpdates=none`, token, {
        method: "PATCH",
        json: { summary: "Renamed" },
      })
    ).json()) as GoogleEvent;
    expect(renamed).toMatchObject({
      summary: "Renamed",
      sequence: 0,
      start: event.start,
      attendees: event.attendees,
    });
    expect(renamed.etag).not.toBe(event.etag);

    const stale = await calendar(`${EVENTS}/${event.id}`, token, {
      method: "PATCH",
      headers: { "if-match": event.etag },
      json: { summary: "Lost update" },
    });
    expect(stale.status).toBe(412);
    expect(errorOf(await stale.json())).toMatchObject({
      message: "Precondition Failed",
      errors: [{ reason: "conditionNotMet" }],
    });

    const moved = (await (
      await calendar(`${EVENTS}/${event.id}`, token, {
        method: "PATCH",
        headers: { "if-match": renamed.etag },
        json: { start: { dateTime: "2026-12-01T12:00:00Z" }, end: { dateTime: "2026-12-01T13:00:00Z" } },
      })
    ).json()) as GoogleEvent;
    expect(moved).toMatchObject({
      summary: "Renamed",
      sequence: 1,
      start: { dateTime: "2026-12-01T12:00:00Z" },
    });

    const explicit = (await (
      await calendar(`${EVENTS}/${event.id}`, token, { method: "PATCH", json: { sequence: 5 } })
    ).json()) as GoogleEvent;
    expect(explicit.sequence).toBe(5);
    const below = await calendar(`${EVENTS}/${event.id}`, token, { method: "PATCH", json: { sequence: 2 } });
    expect(below.status).toBe(400);
  });

  it("patch keeps a Meet and adds one on a new create request", async ({ expect }) => {
    const { token } = await signedIn();
    const event = await insert(token, eventBody());
    const withMeet = (await (
      await calendar(`${EVENTS}/${event.id}?conferenceDataVersion=1`, token, {
        method: "PATCH",
        json: {
          conferenceData: {
            createRequest: { requestId: "r-2", conferenceSolutionKey: { type: "hangoutsMeet" } },
          },
        },
      })
    ).json()) as GoogleEvent;
    expect(withMeet.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\//);
    const renamed = (await (
      await calendar(`${EVENTS}/${event.id}`, token, {
        method: "PATCH",
        json: { summary: "Still a meeting" },
      })
    ).json()) as GoogleEvent;
    expect(renamed.hangoutLink).toBe(withMeet.hangoutLink);
  });

  it("delete cancels (204), get still returns it, a second delete is 410, patch can restore it", async ({
    expect,
  }) => {
    const { email, token } = await signedIn();
    const event = await insert(token, eventBody());
    const res = await calendar(`${EVENTS}/${event.id}?sendUpdates=none`, token, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    const read = (await (await calendar(`${EVENTS}/${event.id}`, token)).json()) as GoogleEvent;
    expect(read.status).toBe("cancelled");

    const again = await calendar(`${EVENTS}/${event.id}`, token, { method: "DELETE" });
    expect(again.status).toBe(410);
    expect(await again.json()).toEqual({
      error: {
        errors: [{ domain: "global", reason: "deleted", message: "Resource has been deleted" }],
        code: 410,
        message: "Resource has been deleted",
      },
    });
    expect((await calendar(`${EVENTS}/unknown00002`, token, { method: "DELETE" })).status).toBe(404);

    const restored = await calendar(`${EVENTS}/${event.id}`, token, {
      method: "PATCH",
      json: { status: "confirmed" },
    });
    expect(((await restored.json()) as GoogleEvent).status).toBe("confirmed");

    const stored = (await (
      await control(`/accounts/${encodeURIComponent(email)}/events`)
    ).json()) as GoogleEvent[];
    expect(stored.map((e) => [e.id, e.status])).toEqual([[event.id, "confirmed"]]);
    const deletes = await callsOf(email, "events.delete");
    expect(deletes.map((c) => [c.status, c.query.sendUpdates])).toEqual([
      [204, "none"],
      [410, undefined],
      [404, undefined],
    ]);
  });

  it("an expired access token gets 401 until refreshed", async ({ expect }) => {
    const { email, token } = await signedIn();
    await control(`/accounts/${encodeURIComponent(email)}/expire-tokens`, { method: "POST" });
    const res = await calendar(EVENTS, token, { method: "POST", json: eventBody() });
    expect(res.status).toBe(401);
    expect((await callsOf(email, "events.insert")).map((c) => c.status)).toEqual([401]);
  });
});
