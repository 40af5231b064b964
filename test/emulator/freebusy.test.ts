// Layer: Google emulator over fetch (outboundService): freebusy.query.
import { describe, it } from "vitest";
import { addCalendar, createInGoogle, respondAsAttendee, setCalendar } from "../support/google";
import { apiError, calendar, insertEvent, tokenWithScopes, uniqueEmail } from "./google-client";

const DAY = "2026-12-01";

async function account(label: string, scopes = ["calendar.events", "calendar.freebusy"]) {
  const email = uniqueEmail(label);
  return { email, token: await tokenWithScopes(email, scopes) };
}

function query(token: string, body: unknown) {
  return calendar("/freeBusy", token, { method: "POST", json: body });
}

function at(time: string): { dateTime: string } {
  return { dateTime: `${DAY}T${time}:00Z` };
}

async function busyOf(token: string, body: Record<string, unknown>, key = "primary") {
  const res = await query(token, body);
  if (res.status !== 200) throw new Error(`freeBusy answered ${res.status}: ${await res.text()}`);
  const json = (await res.json()) as { calendars: Record<string, { busy: unknown[]; errors?: unknown[] }> };
  return json.calendars[key];
}

describe("busy time", () => {
  it("merges overlapping and touching events, clips to the range, sorts, and skips free events", async ({
    expect,
  }) => {
    const { email, token } = await account("fb");
    const insert = (start: string, end: string, extra: Record<string, unknown> = {}) =>
      insertEvent(token, "primary", { start: at(start), end: at(end), ...extra });
    await insert("15:00", "16:00");
    await insert("09:00", "10:00");
    await insert("09:30", "10:30");
    await insert("10:30", "11:00");
    await insert("07:00", "08:30");
    await insert("12:00", "13:00", { transparency: "transparent" });
    const cancelled = await insert("13:00", "14:00");
    await calendar(`/calendars/primary/events/${cancelled.id}`, token, { method: "DELETE" });
    const declined = await insert("14:00", "15:00", {
      attendees: [{ email }, { email: "guest@example.com" }],
    });
    await respondAsAttendee(email, declined.id, email, "declined");
    await insert("16:30", "17:00", { attendees: [{ email }] });

    const res = await query(token, {
      timeMin: `${DAY}T08:00:00Z`,
      timeMax: `${DAY}T16:45:00+00:00`,
      items: [{ id: "primary" }],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      kind: "calendar#freeBusy",
      timeMin: `${DAY}T08:00:00.000Z`,
      timeMax: `${DAY}T16:45:00.000Z`,
      calendars: {
        primary: {
          busy: [
            { start: `${DAY}T08:00:00Z`, end: `${DAY}T08:30:00Z` },
            { start: `${DAY}T09:00:00Z`, end: `${DAY}T11:00:00Z` },
            { start: `${DAY}T15:00:00Z`, end: `${DAY}T16:00:00Z` },
            { start: `${DAY}T16:30:00Z`, end: `${DAY}T16:45:00Z` },
          ],
        },
      },
    });
  });

  it("writes busy times in the request's timeZone and keys calendars by the id as requested", async ({
    expect,
  }) => {
    const { email, token } = await account("fbzone");
    await insertEvent(token, "primary", { start: at("09:00"), end: at("10:00") });
    const res = await query(token, {
      timeMin: `${DAY}T00:00:00+01:00`,
      timeMax: `${DAY}T23:00:00+01:00`,
      timeZone: "Europe/Paris",
      items: [{ id: email.toUpperCase() }, { id: "primary" }],
    });
    const body = (await res.json()) as { timeMin: string; calendars: Record<string, { busy: unknown[] }> };
    expect(body.timeMin).toBe("2026-11-30T23:00:00.000Z");
    const busy = [{ start: `${DAY}T10:00:00+01:00`, end: `${DAY}T11:00:00+01:00` }];
    expect(body.calendars).toEqual({ [email.toUpperCase()]: { busy }, primary: { busy } });
  });

  it("counts all-day events from midnight in the calendar's time zone", async ({ expect }) => {
    const { email, token } = await account("fballday");
    await setCalendar(email, "primary", { timeZone: "America/New_York" });
    await insertEvent(token, "primary", { start: { date: DAY }, end: { date: "2026-12-02" } });
    const busy = await busyOf(token, {
      timeMin: `${DAY}T00:00:00Z`,
      timeMax: "2026-12-03T00:00:00Z",
      items: [{ id: "primary" }],
    });
    expect(busy).toEqual({ busy: [{ start: `${DAY}T05:00:00Z`, end: "2026-12-02T05:00:00Z" }] });
  });

  it("shows a meeting made directly in Google, unless it is marked free", async ({ expect }) => {
    const { email, token } = await account("fbgoogle");
    await createInGoogle(email, { start: at("11:00"), end: at("12:00") });
    await createInGoogle(email, { start: at("13:00"), end: at("14:00"), transparency: "transparent" });
    const busy = await busyOf(token, {
      timeMin: `${DAY}T00:00:00Z`,
      timeMax: `${DAY}T23:59:59Z`,
      items: [{ id: "primary" }],
    });
    expect(busy).toEqual({ busy: [{ start: `${DAY}T11:00:00Z`, end: `${DAY}T12:00:00Z` }] });
  });
});

describe("which calendars", () => {
  it("a calendar the caller cannot see, or that does not exist, gets a notFound entry", async ({
    expect,
  }) => {
    const { token } = await account("fbnf");
    const stranger = await account("fbstranger");
    const res = await query(token, {
      timeMin: `${DAY}T00:00:00Z`,
      timeMax: `${DAY}T23:00:00Z`,
      items: [{ id: stranger.email }, { id: "nobody@group.calendar.google.com" }],
    });
    const notFound = { errors: [{ domain: "global", reason: "notFound" }], busy: [] };
    expect(((await res.json()) as { calendars: unknown }).calendars).toEqual({
      [stranger.email]: notFound,
      "nobody@group.calendar.google.com": notFound,
    });
  });

  it("a free/busy reader sees the busy time of a calendar it cannot read events of", async ({ expect }) => {
    const owner = await account("fbowner");
    const viewer = await account("fbviewer");
    await insertEvent(owner.token, "primary", { start: at("09:00"), end: at("10:00") });
    await addCalendar(viewer.email, { id: owner.email, accessRole: "freeBusyReader" });
    const busy = await busyOf(
      viewer.token,
      { timeMin: `${DAY}T00:00:00Z`, timeMax: `${DAY}T23:00:00Z`, items: [{ id: owner.email }] },
      owner.email,
    );
    expect(busy).toEqual({ busy: [{ start: `${DAY}T09:00:00Z`, end: `${DAY}T10:00:00Z` }] });
    expect(
      (await calendar(`/calendars/${encodeURIComponent(owner.email)}/events`, viewer.token)).status,
    ).toBe(404);
  });

  it("calendars past calendarExpansionMax get tooManyCalendarsRequested", async ({ expect }) => {
    const { email, token } = await account("fbmax");
    const ids = Array.from({ length: 52 }, (_, i) =>
      i === 0 ? "primary" : `c${i}@group.calendar.google.com`,
    );
    const res = await query(token, {
      timeMin: `${DAY}T00:00:00Z`,
      timeMax: `${DAY}T23:00:00Z`,
      items: ids.map((id) => ({ id })),
    });
    const { calendars } = (await res.json()) as {
      calendars: Record<string, { errors?: Array<{ reason: string }> }>;
    };
    expect(calendars.primary).toEqual({ busy: [] });
    expect(calendars[ids[49] ?? ""]?.errors?.[0]?.reason).toBe("notFound");
    const tooMany = { errors: [{ domain: "global", reason: "tooManyCalendarsRequested" }], busy: [] };
    expect(calendars[ids[50] ?? ""]).toEqual(tooMany);
    expect(calendars[ids[51] ?? ""]).toEqual(tooMany);

    const two = (await (
      await query(token, {
        timeMin: `${DAY}T00:00:00Z`,
        timeMax: `${DAY}T23:00:00Z`,
        calendarExpansionMax: 1,
        items: [{ id: email }, { id: "primary" }],
      })
    ).json()) as { calendars: Record<string, unknown> };
    expect(two.calendars).toEqual({ [email]: { busy: [] }, primary: tooMany });
  });
});

describe("errors", () => {
  const range = { timeMin: `${DAY}T00:00:00Z`, timeMax: `${DAY}T23:00:00Z` };
  for (const [name, body, reason, message] of [
    ["no timeMin", { timeMax: range.timeMax }, "required", "Missing timeMin parameter."],
    ["no timeMax", { timeMin: range.timeMin }, "required", "Missing timeMax parameter."],
    ["an unparseable timeMin", { ...range, timeMin: "tomorrow" }, "invalid", undefined],
    ["a timeMin without offset", { ...range, timeMin: `${DAY}T00:00:00` }, "invalid", undefined],
    [
      "timeMax equal to timeMin",
      { ...range, timeMax: range.timeMin },
      "timeRangeEmpty",
      "The specified time range is empty.",
    ],
    [
      "a range over 90 days",
      { timeMin: `${DAY}T00:00:00Z`, timeMax: "2027-03-01T00:00:01Z" },
      "timeRangeTooLong",
      "The requested time range is too long.",
    ],
    ["an unknown timeZone", { ...range, timeZone: "Mars/Olympus" }, "invalid", undefined],
    ["calendarExpansionMax over 50", { ...range, calendarExpansionMax: 51 }, "invalid", undefined],
  ] as const) {
    it(`400 ${reason} for ${name}`, async ({ expect }) => {
      const { token } = await account("fberr");
      const res = await query(token, { ...body, items: [{ id: "primary" }] });
      expect(res.status).toBe(400);
      const error = apiError(await res.json());
      expect(error.code).toBe(400);
      expect(error.errors[0]?.reason).toBe(reason);
      if (message) expect(error.message).toBe(message);
    });
  }

  it("exactly 90 days is allowed", async ({ expect }) => {
    const { token } = await account("fb90");
    const res = await query(token, { timeMin: `${DAY}T00:00:00Z`, timeMax: "2027-03-01T00:00:00Z" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { calendars: unknown }).calendars).toEqual({});
  });

  it("400 parseError for a body that is not a JSON object", async ({ expect }) => {
    const { token } = await account("fbparse");
    const res = await calendar("/freeBusy", token, { method: "POST", body: "[1]" });
    expect(apiError(await res.json()).errors[0]?.reason).toBe("parseError");
  });

  it("takes the free/busy scopes of the discovery document; calendar.events alone is 403", async ({
    expect,
  }) => {
    const body = { ...range, items: [{ id: "primary" }] };
    for (const scope of ["calendar.freebusy", "calendar.events.freebusy", "calendar.readonly", "calendar"]) {
      const token = await tokenWithScopes(uniqueEmail("fbscope"), [scope]);
      expect((await query(token, body)).status, scope).toBe(200);
    }
    const token = await tokenWithScopes(uniqueEmail("fbscope"), ["calendar.events"]);
    const res = await query(token, body);
    expect(res.status).toBe(403);
    expect(apiError(await res.json()).errors[0]?.reason).toBe("insufficientPermissions");
  });
});
