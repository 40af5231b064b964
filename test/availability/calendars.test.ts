// Layer: contract over HTTP + emulator + queue + MAILER: the calendar list, events on a secondary calendar
// (every Google call goes there), and accounts connected before these features (403 insufficient_scope
// until they reconnect, which incremental authorization makes a one-box consent).
import { describe, it } from "vitest";
import { api, problemOf } from "../support/app";
import { createEvent, type EventJson } from "../support/events";
import { addCalendar, callsOf, googleEventsOf, googleEventsOfCalendar } from "../support/google";
import { icsOf, waitForMail, watchMail } from "../support/mail";
import { CALENDAR_LIST_SCOPE, consent, FREEBUSY_SCOPE, me, newEmail, signIn } from "../support/sign-in";

function groupCalendar(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}@group.calendar.google.com`;
}

describe("GET /api/calendars", () => {
  it("lists the account's calendars with the primary one and each access role", async ({ expect }) => {
    const user = await signIn();
    const team = groupCalendar("team");
    const holidays = groupCalendar("holidays");
    await addCalendar(user.email, {
      id: team,
      summary: "Team",
      accessRole: "writer",
      timeZone: "Europe/Berlin",
    });
    await addCalendar(user.email, { id: holidays, summary: "Holidays", accessRole: "reader" });
    const res = await api("/api/calendars", { token: user.token });
    expect(res.status).toBe(200);
    const { calendars } = (await res.json()) as {
      calendars: { id: string; summary: string; primary: boolean; access_role: string; time_zone: string }[];
    };
    expect(calendars).toEqual(
      expect.arrayContaining([
        { id: user.email, summary: user.email, primary: true, access_role: "owner", time_zone: "UTC" },
        { id: team, summary: "Team", primary: false, access_role: "writer", time_zone: "Europe/Berlin" },
        { id: holidays, summary: "Holidays", primary: false, access_role: "reader", time_zone: "UTC" },
      ]),
    );
    expect(calendars).toHaveLength(3);
  });
});

describe("events on a secondary calendar", () => {
  it("are created, rescheduled and cancelled there; mail carries Google's UID", async ({ expect }) => {
    const mail = watchMail();
    const user = await signIn();
    const team = groupCalendar("team");
    await addCalendar(user.email, { id: team, summary: "Team", accessRole: "owner" });
    const ada = newEmail("ada");
    const { res, event } = await createEvent(user.token, { participants: [ada], calendar_id: team });
    expect(res.status).toBe(201);
    expect(event.calendar_id).toBe(team);
    const [atGoogle] = await googleEventsOfCalendar(team);
    expect(atGoogle?.id).toBe(event.google_event_id);
    expect(event.ical_uid).toBe(atGoogle?.iCalUID);
    expect((await googleEventsOf(user.email)).map((e) => e.id)).not.toContain(event.google_event_id);
    // Each mail leaves before the next change: a reschedule mail still queued at a cancellation is dropped.
    const allSent = (count: number) => (e: EventJson) =>
      e.emails.length === count && e.emails.every((m) => m.status === "sent");
    await waitForMail(user.token, event.id, allSent(1));

    const moved = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { start_time: "2026-12-03T10:00:00+01:00", end_time: "2026-12-03T11:00:00+01:00" },
    });
    expect(moved.status).toBe(200);
    expect((await googleEventsOfCalendar(team))[0]?.start.dateTime).toBe("2026-12-03T10:00:00+01:00");
    await waitForMail(user.token, event.id, allSent(2));
    expect((await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
    expect((await googleEventsOfCalendar(team))[0]?.status).toBe("cancelled");
    for (const call of [
      ...(await callsOf(user.email, "events.insert")),
      ...(await callsOf(user.email, "events.patch")),
      ...(await callsOf(user.email, "events.delete")),
    ]) {
      expect(call.path).toContain(`/calendars/${encodeURIComponent(team)}/events`);
    }

    await waitForMail(user.token, event.id, allSent(3));
    const sent = mail.about(event.ical_uid).map(icsOf);
    expect(sent.map((m) => [m.method, m.uid, m.sequence])).toEqual([
      ["REQUEST", atGoogle!.iCalUID, 0],
      ["REQUEST", atGoogle!.iCalUID, 1],
      ["CANCEL", atGoogle!.iCalUID, 2],
    ]);

    const listed = (await (
      await api(`/api/events/?calendar_id=${encodeURIComponent(team)}`, { token: user.token })
    ).json()) as {
      events: EventJson[];
    };
    expect(listed.events.map((e) => e.id)).toEqual([event.id]);
    const primaryOnly = (await (
      await api("/api/events/?calendar_id=primary", { token: user.token })
    ).json()) as {
      events: EventJson[];
    };
    expect(primaryOnly.events).toEqual([]);
  });

  it("refuses calendars the account cannot write to, or does not have, before anything is written", async ({
    expect,
  }) => {
    const user = await signIn();
    const readOnly = groupCalendar("holidays");
    await addCalendar(user.email, { id: readOnly, accessRole: "reader" });
    for (const calendarId of [readOnly, groupCalendar("unknown")]) {
      const { res } = await createEvent(user.token, { calendar_id: calendarId });
      expect(res.status).toBe(422);
      const problem = await problemOf(res);
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors?.[0]?.path).toBe("calendar_id");
    }
    expect(await callsOf(user.email, "events.insert")).toEqual([]);
    const listed = (await (await api("/api/events/", { token: user.token })).json()) as {
      events: EventJson[];
    };
    expect(listed.events).toEqual([]);
  });

  it("a calendar cannot be changed by PATCH", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    const res = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { calendar_id: "primary" },
    });
    expect(res.status).toBe(422);
    expect((await problemOf(res)).errors?.[0]?.path).toBe("calendar_id");
  });
});

describe("accounts connected before availability", () => {
  it("get 403 insufficient_scope with a reconnect URL; a reconnect adds the scopes and fixes it", async ({
    expect,
  }) => {
    const user = await signIn({ extraScopes: [] });
    expect((await me(user.token)).body.google.scopes).not.toContain(FREEBUSY_SCOPE);
    const query = new URLSearchParams({ from: "2026-12-07T08:00:00Z", to: "2026-12-07T18:00:00Z" });
    for (const res of [
      await api(`/api/availability?${query}`, { token: user.token }),
      await api("/api/calendars", { token: user.token }),
      (await createEvent(user.token, { if_free: true })).res,
    ]) {
      expect(res.status).toBe(403);
      const problem = await problemOf(res);
      expect(problem.code).toBe("insufficient_scope");
      expect(problem.authorize_url).toBe("/api/google-auth/");
      expect(problem.missing_scopes).toEqual([
        expect.stringMatching(/^https:\/\/www\.googleapis\.com\/auth\//),
      ]);
    }
    // Events keep working without the new scopes.
    expect((await createEvent(user.token)).res.status).toBe(201);

    // The reconnect asks with include_granted_scopes=true; Google returns the union of old and new.
    const again = await consent({ email: user.email, extraScopes: [FREEBUSY_SCOPE, CALENDAR_LIST_SCOPE] });
    expect(again.authorizationUrl.searchParams.get("include_granted_scopes")).toBe("true");
    expect(again.authorizationUrl.searchParams.get("scope")?.split(" ")).toEqual(
      expect.arrayContaining([FREEBUSY_SCOPE, CALENDAR_LIST_SCOPE]),
    );
    const reconnected = await signIn({ email: user.email });
    const scopes = (await me(reconnected.token)).body.google.scopes;
    expect(scopes).toEqual(expect.arrayContaining([FREEBUSY_SCOPE, CALENDAR_LIST_SCOPE]));
    expect((await api(`/api/availability?${query}`, { token: user.token })).status).toBe(200);
    expect((await api("/api/calendars", { token: user.token })).status).toBe(200);
  });
});
