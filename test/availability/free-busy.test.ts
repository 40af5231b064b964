// Layer: contract over HTTP + emulator: GET /api/availability merges Google's free/busy of the chosen
// calendars with this service's own bookings (in flight included) and lists the free gaps.
import { describe, it } from "vitest";
import { api, problemOf } from "../support/app";
import { createEvent } from "../support/events";
import { addCalendar, createInGoogle, injectFault, waitForGoogleIdle } from "../support/google";
import { signIn } from "../support/sign-in";

interface AvailabilityJson {
  from: string;
  to: string;
  time_zone: string;
  duration_minutes: number;
  calendars: { id: string; errors: string[] }[];
  busy: { start: string; end: string; source: string; calendar_id: string; event_id?: string }[];
  free: { start: string; end: string }[];
}

async function availability(token: string, query: Record<string, string>) {
  const res = await api(`/api/availability?${new URLSearchParams(query)}`, { token });
  return { res, body: (await res.clone().json()) as AvailabilityJson };
}

function teamCalendarId(): string {
  return `team-${crypto.randomUUID().slice(0, 8)}@group.calendar.google.com`;
}

describe("GET /api/availability", () => {
  it("merges two calendars and an own booking still in flight; free gaps honour duration_minutes", async ({
    expect,
  }) => {
    const user = await signIn();
    const team = teamCalendarId();
    await addCalendar(user.email, { id: team, summary: "Team", accessRole: "writer" });
    await createInGoogle(user.email, {
      summary: "Dentist",
      start: { dateTime: "2026-12-07T09:00:00Z" },
      end: { dateTime: "2026-12-07T10:00:00Z" },
    });
    await createInGoogle(team, {
      summary: "Team sync",
      start: { dateTime: "2026-12-07T11:00:00Z" },
      end: { dateTime: "2026-12-07T12:00:00Z" },
    });
    // An own booking whose Google insert is slow: in D1 as an intent (an Idempotency-Key reserves it
    // before Google is called), not yet at Google.
    await injectFault({ endpoint: "events.insert", account: user.email, delayMs: 1_200 });
    const pending = createEvent(
      user.token,
      { start_time: "2026-12-07T12:30:00Z", end_time: "2026-12-07T13:00:00Z", time_zone: "UTC" },
      { "idempotency-key": `in-flight-${crypto.randomUUID()}` },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    const { res, body } = await availability(user.token, {
      from: "2026-12-07T08:00:00Z",
      to: "2026-12-07T14:00:00Z",
      calendars: `primary,${team}`,
      duration_minutes: "45",
    });
    expect(res.status).toBe(200);
    expect(body.calendars).toEqual([
      { id: "primary", errors: [] },
      { id: team, errors: [] },
    ]);
    expect(body.busy).toEqual([
      {
        start: "2026-12-07T09:00:00Z",
        end: "2026-12-07T10:00:00Z",
        source: "google",
        calendar_id: "primary",
      },
      { start: "2026-12-07T11:00:00Z", end: "2026-12-07T12:00:00Z", source: "google", calendar_id: team },
      {
        start: "2026-12-07T12:30:00Z",
        end: "2026-12-07T13:00:00Z",
        source: "calendar-edge",
        calendar_id: "primary",
        event_id: expect.any(String),
      },
    ]);
    // 12:00–12:30 is free but shorter than 45 minutes.
    expect(body.free).toEqual([
      { start: "2026-12-07T08:00:00Z", end: "2026-12-07T09:00:00Z" },
      { start: "2026-12-07T10:00:00Z", end: "2026-12-07T11:00:00Z" },
      { start: "2026-12-07T13:00:00Z", end: "2026-12-07T14:00:00Z" },
    ]);
    expect((await pending).res.status).toBe(201);
    await waitForGoogleIdle(user.email);
  });

  it("answers in time_zone; a day across the autumn DST change is 25 hours; busy clipped to the window", async ({
    expect,
  }) => {
    const user = await signIn();
    await createInGoogle(user.email, {
      summary: "Overnight",
      start: { dateTime: "2026-10-24T22:00:00+02:00" },
      end: { dateTime: "2026-10-25T01:30:00+02:00" },
    });
    const { res, body } = await availability(user.token, {
      from: "2026-10-25T00:00:00",
      to: "2026-10-26T00:00:00",
      time_zone: "Europe/Berlin",
      duration_minutes: "60",
    });
    expect(res.status).toBe(200);
    expect(body.from).toBe("2026-10-25T00:00:00+02:00");
    expect(body.to).toBe("2026-10-26T00:00:00+01:00");
    expect(body.busy).toEqual([
      {
        start: "2026-10-25T00:00:00+02:00",
        end: "2026-10-25T01:30:00+02:00",
        source: "google",
        calendar_id: "primary",
      },
    ]);
    expect(body.free).toEqual([{ start: "2026-10-25T01:30:00+02:00", end: "2026-10-26T00:00:00+01:00" }]);
    const free = body.free[0]!;
    expect(Date.parse(free.end) - Date.parse(free.start)).toBe(23.5 * 3_600_000);
  });

  it("a spring-forward day is 23 hours long", async ({ expect }) => {
    const user = await signIn();
    const { body } = await availability(user.token, {
      from: "2026-03-29T00:00:00",
      to: "2026-03-30T00:00:00",
      time_zone: "Europe/Berlin",
    });
    expect(body.free).toEqual([{ start: "2026-03-29T00:00:00+01:00", end: "2026-03-30T00:00:00+02:00" }]);
    expect(Date.parse(body.free[0]!.end) - Date.parse(body.free[0]!.start)).toBe(23 * 3_600_000);
  });

  it("lists own confirmed bookings once (Google already shows them busy)", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token, {
      start_time: "2026-12-08T10:00:00Z",
      end_time: "2026-12-08T11:00:00Z",
      time_zone: "UTC",
    });
    const { body } = await availability(user.token, {
      from: "2026-12-08T09:00:00Z",
      to: "2026-12-08T12:00:00Z",
    });
    expect(body.busy).toEqual([
      {
        start: "2026-12-08T10:00:00Z",
        end: "2026-12-08T11:00:00Z",
        source: "google",
        calendar_id: "primary",
      },
    ]);
    expect(event.id).toEqual(expect.any(String));
  });

  it("reports a calendar Google does not know per calendar, not as an error of the request", async ({
    expect,
  }) => {
    const user = await signIn();
    const { res, body } = await availability(user.token, {
      from: "2026-12-07T08:00:00Z",
      to: "2026-12-07T09:00:00Z",
      calendars: "primary,nobody-knows@group.calendar.google.com",
    });
    expect(res.status).toBe(200);
    expect(body.calendars).toEqual([
      { id: "primary", errors: [] },
      { id: "nobody-knows@group.calendar.google.com", errors: ["notFound"] },
    ]);
    expect(body.free).toEqual([{ start: "2026-12-07T08:00:00Z", end: "2026-12-07T09:00:00Z" }]);
  });

  it("refuses windows over 62 days, empty windows, bad zones, durations and calendar lists", async ({
    expect,
  }) => {
    const user = await signIn();
    const cases: [Record<string, string>, string][] = [
      [{ from: "2026-01-01T00:00:00Z", to: "2026-03-05T00:00:00Z" }, "to"],
      [{ from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z" }, "to"],
      [{ from: "yesterday", to: "2026-01-01T00:00:00Z" }, "from"],
      [{ from: "2026-01-01T00:00:00", to: "2026-01-02T00:00:00", time_zone: "Mars/Olympus" }, "time_zone"],
      [
        { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", duration_minutes: "0" },
        "duration_minutes",
      ],
      [{ from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", calendars: "a b" }, "0"],
      [{ from: "2026-01-01T00:00:00Z" }, "to"],
    ];
    for (const [query, path] of cases) {
      const res = await api(`/api/availability?${new URLSearchParams(query)}`, { token: user.token });
      expect(res.status, JSON.stringify(query)).toBe(422);
      const problem = await problemOf(res);
      expect(problem.code).toBe("validation_failed");
      expect(
        problem.errors?.map((e) => e.path),
        JSON.stringify(query),
      ).toContain(path);
    }
    const sixtyTwo = await api(
      `/api/availability?${new URLSearchParams({ from: "2026-01-01T00:00:00Z", to: "2026-03-04T00:00:00Z" })}`,
      { token: user.token },
    );
    expect(sixtyTwo.status).toBe(200);
  });

  it("Google failing is a 502/503 problem, never a 500", async ({ expect }) => {
    const user = await signIn();
    await injectFault({ endpoint: "freebusy.query", account: user.email, status: 500, times: 3 });
    const res = await api(
      `/api/availability?${new URLSearchParams({ from: "2026-12-07T08:00:00Z", to: "2026-12-07T09:00:00Z" })}`,
      { token: user.token },
    );
    expect(res.status).toBe(502);
    expect((await problemOf(res)).code).toBe("google_unavailable");
  });
});
