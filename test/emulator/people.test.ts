// Layer: Google emulator over fetch (outboundService): control calls acting as people in Google Calendar.
import { describe, it } from "vitest";
import {
  createInGoogle,
  deleteInGoogle,
  googleEventsOf,
  googleEventsOfCalendar,
  patchInGoogle,
  respondAsAttendee,
  takeNotifications,
} from "../support/google";
import { calendar, control, eventBody, insertEvent, signedInAccount } from "./google-client";

interface Event {
  id: string;
  etag: string;
  updated: string;
  sequence: number;
  status: string;
  summary?: string;
  location?: string;
  transparency?: string;
  creator: { email: string; self?: boolean };
  organizer: { email: string; self?: boolean };
  start: { dateTime?: string };
  attendees?: Array<{ email: string; responseStatus: string; comment?: string }>;
}

async function watched(label: string) {
  const account = await signedInAccount(label);
  const res = await calendar("/calendars/primary/events/watch", account.token, {
    method: "POST",
    json: { id: crypto.randomUUID(), type: "web_hook", address: "https://app.example.com/hook" },
  });
  if (res.status !== 200) throw new Error(`watch answered ${res.status}`);
  await takeNotifications(account.email);
  return account;
}

async function later(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("an attendee responds", () => {
  it("changes that attendee's responseStatus, etag and updated, not the sequence; notifies", async ({
    expect,
  }) => {
    const { email, token } = await watched("respond");
    const event = await insertEvent<Event>(token, "primary", eventBody());
    await takeNotifications(email);
    await later();
    const answered = (await respondAsAttendee(
      email,
      event.id,
      "GUEST@example.com",
      "declined",
      "On holiday",
    )) as unknown as Event;
    expect(answered.attendees).toEqual([
      { email: "guest@example.com", responseStatus: "declined", comment: "On holiday" },
    ]);
    expect(answered.sequence).toBe(event.sequence);
    expect(answered.etag).not.toBe(event.etag);
    expect(answered.updated > event.updated).toBe(true);
    const read = (await (await calendar(`/calendars/primary/events/${event.id}`, token)).json()) as Event;
    expect(read).toEqual(answered);
    expect((await takeNotifications(email)).map((n) => n.state)).toEqual(["exists"]);
  });

  it("404 for an unknown event or attendee, 400 for an unknown responseStatus", async ({ expect }) => {
    const { email, token } = await signedInAccount("respond404");
    const event = await insertEvent<Event>(token, "primary", eventBody());
    const path = (id: string) => `/calendars/${encodeURIComponent(email)}/events/${id}/respond`;
    const unknownEvent = await control(path("nope0000001"), {
      method: "POST",
      json: { attendee: "guest@example.com", responseStatus: "accepted" },
    });
    expect(unknownEvent.status).toBe(404);
    const unknownAttendee = await control(path(event.id), {
      method: "POST",
      json: { attendee: "someone@example.com", responseStatus: "accepted" },
    });
    expect(unknownAttendee.status).toBe(404);
    const badStatus = await control(path(event.id), {
      method: "POST",
      json: { attendee: "guest@example.com", responseStatus: "maybe" },
    });
    expect(badStatus.status).toBe(400);
  });
});

describe("the organizer in Google Calendar", () => {
  it("patch: the sequence goes up for a new time or place, not for a new title; notifies each time", async ({
    expect,
  }) => {
    const { email, token } = await watched("orgpatch");
    const event = await insertEvent<Event>(token, "primary", eventBody("2026-12-01T10:00:00Z"));
    const renamed = (await patchInGoogle(email, event.id, {
      summary: "Renamed in Google",
    })) as unknown as Event;
    expect(renamed).toMatchObject({ summary: "Renamed in Google", sequence: 0 });
    const moved = (await patchInGoogle(email, event.id, {
      start: { dateTime: "2026-12-01T14:00:00Z" },
      end: { dateTime: "2026-12-01T15:00:00Z" },
    })) as unknown as Event;
    expect(moved).toMatchObject({ sequence: 1, start: { dateTime: "2026-12-01T14:00:00Z" } });
    const relocated = (await patchInGoogle(email, event.id, { location: "Room 2" })) as unknown as Event;
    expect(relocated).toMatchObject({ sequence: 2, location: "Room 2", attendees: event.attendees });
    expect((await takeNotifications(email)).map((n) => n.state)).toEqual([
      "exists",
      "exists",
      "exists",
      "exists",
    ]);
  });

  it("patch refuses fields the UI does not change and invalid times; unknown events are 404", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("orgpatchbad");
    const event = await insertEvent<Event>(token, "primary", eventBody());
    const path = `/calendars/${encodeURIComponent(email)}/events/${event.id}`;
    const unknownField = await control(path, { method: "PATCH", json: { status: "cancelled" } });
    expect(await unknownField.json()).toEqual({ error: "unknown field(s): status" });
    const backwards = await control(path, {
      method: "PATCH",
      json: { end: { dateTime: "2020-01-01T00:00:00Z" } },
    });
    expect(backwards.status).toBe(400);
    expect(await backwards.json()).toEqual({ error: "The specified time range is empty." });
    const missing = await control(`/calendars/${encodeURIComponent(email)}/events/nope0000001`, {
      method: "PATCH",
      json: { summary: "x" },
    });
    expect(missing.status).toBe(404);
  });

  it("delete cancels with sequence + 1; a second delete is 410", async ({ expect }) => {
    const { email, token } = await watched("orgdelete");
    const event = await insertEvent<Event>(token, "primary", eventBody());
    const cancelled = (await deleteInGoogle(email, event.id)) as unknown as Event;
    expect(cancelled).toMatchObject({ status: "cancelled", sequence: event.sequence + 1 });
    expect(cancelled.etag).not.toBe(event.etag);
    expect((await googleEventsOf(email)).map((e) => e.status)).toEqual(["cancelled"]);
    const again = await control(`/calendars/${encodeURIComponent(email)}/events/${event.id}`, {
      method: "DELETE",
    });
    expect(again.status).toBe(410);
    expect((await takeNotifications(email)).map((n) => n.state)).toEqual(["exists", "exists"]);
  });
});

describe("a meeting made directly in Google", () => {
  it("gets a random id, the calendar owner as organizer, and shows in events.list; notifies", async ({
    expect,
  }) => {
    const { email, token } = await watched("create");
    const made = (await createInGoogle(email, {
      id: "ignored00001",
      summary: "Dentist",
      start: { dateTime: "2026-12-01T08:00:00Z" },
      end: { dateTime: "2026-12-01T09:00:00Z" },
      transparency: "transparent",
    } as Parameters<typeof createInGoogle>[1])) as unknown as Event;
    expect(made.id).toMatch(/^[a-v0-9]{26}$/);
    expect(made).toMatchObject({
      status: "confirmed",
      sequence: 0,
      summary: "Dentist",
      transparency: "transparent",
      creator: { email, self: true },
      organizer: { email, self: true },
    });
    const listed = (await (await calendar("/calendars/primary/events", token)).json()) as { items: Event[] };
    expect(listed.items.map((e) => e.id)).toEqual([made.id]);
    expect((await takeNotifications(email)).map((n) => n.state)).toEqual(["exists"]);
  });

  it("refuses an event without times, `primary` as the calendar, and unknown calendars", async ({
    expect,
  }) => {
    const { email } = await signedInAccount("createbad");
    const noTimes = await control(`/calendars/${encodeURIComponent(email)}/events`, {
      method: "POST",
      json: { summary: "x" },
    });
    expect(await noTimes.json()).toEqual({ error: "Missing start time." });
    const primary = await control("/calendars/primary/events", { method: "POST", json: eventBody() });
    expect(primary.status).toBe(400);
    const unknown = await control("/calendars/nobody%40group.calendar.google.com/events", {
      method: "POST",
      json: eventBody(),
    });
    expect(unknown.status).toBe(404);
    expect(await googleEventsOfCalendar(email)).toEqual([]);
  });
});
