// Layer: contract over HTTP, end to end: a change made in Google Calendar (emulator control calls acting
// as a participant or as the organizer) → Google's push notification delivered to /webhooks/google → the
// coalesced sync on the real local queue → D1 → what GET /api/events/{id} shows.
import { describe, it } from "vitest";
import { api } from "../support/app";
import { createEvent, type EventJson } from "../support/events";
import { deleteInGoogle, patchInGoogle, respondAsAttendee } from "../support/google";
import { newEmail, signIn } from "../support/sign-in";
import { deliverNotifications, eventually, syncRuns, syncSettled } from "../support/sync";

async function readEvent(token: string, id: string): Promise<EventJson> {
  return (await (await api(`/api/events/${id}`, { token })).json()) as EventJson;
}

/** Signs in, books an event, and lets the first sync (a full listing) establish the sync token. */
async function bookedAndSynced(participants = [newEmail("ada"), newEmail("grace")]) {
  const user = await signIn();
  const { res, event } = await createEvent(user.token, { participants });
  if (res.status !== 201) throw new Error(`create answered ${res.status}`);
  await deliverNotifications(user.email);
  await syncSettled(user.accountId);
  return { user, event, participants };
}

describe("a participant answers in Google Calendar", () => {
  it("declined: after the notification and one sync the event shows it; participants unchanged", async ({
    expect,
  }) => {
    const { user, event, participants } = await bookedAndSynced();
    const [ada, grace] = participants as [string, string];
    expect(event.attendees).toEqual([
      { email: ada, response_status: "needs_action" },
      { email: grace, response_status: "needs_action" },
    ]);
    const runsBefore = await syncRuns(user.email);

    await respondAsAttendee(user.email, event.google_event_id, ada, "declined");
    expect(await deliverNotifications(user.email)).toEqual([204]);
    const after = await eventually(async () => {
      const e = await readEvent(user.token, event.id);
      return e.attendees.find((a) => a.email === ada)?.response_status === "declined" && e;
    });
    expect(after.attendees).toEqual([
      { email: ada, response_status: "declined" },
      { email: grace, response_status: "needs_action" },
    ]);
    expect(after.participants).toEqual([ada, grace]);
    expect(after.status).toBe("confirmed");
    expect(after.changed_in_google_at).toEqual(expect.any(String));
    await syncSettled(user.accountId);
    expect((await syncRuns(user.email)) - runsBefore).toBe(1);
  });

  it("accepted and tentative are recorded per participant", async ({ expect }) => {
    const { user, event, participants } = await bookedAndSynced();
    const [ada, grace] = participants as [string, string];
    await respondAsAttendee(user.email, event.google_event_id, ada, "accepted");
    await respondAsAttendee(user.email, event.google_event_id, grace, "tentative");
    await deliverNotifications(user.email);
    const after = await eventually(async () => {
      const e = await readEvent(user.token, event.id);
      return e.attendees.every((a) => a.response_status !== "needs_action") && e;
    });
    expect(after.attendees).toEqual([
      { email: ada, response_status: "accepted" },
      { email: grace, response_status: "tentative" },
    ]);
  });
});

describe("the organizer changes the event in Google Calendar", () => {
  it("moved: start and end follow, in the zone Google reports", async ({ expect }) => {
    const { user, event } = await bookedAndSynced();
    await patchInGoogle(user.email, event.google_event_id, {
      start: { dateTime: "2026-12-01T14:00:00+01:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-12-01T15:30:00+01:00", timeZone: "Europe/Berlin" },
    });
    await deliverNotifications(user.email);
    const after = await eventually(async () => {
      const e = await readEvent(user.token, event.id);
      return e.start_time === "2026-12-01T14:00:00+01:00" && e;
    });
    expect(after.end_time).toBe("2026-12-01T15:30:00+01:00");
    expect(after.time_zone).toBe("Europe/Berlin");
    expect(after.summary).toBe(event.summary);
    expect(after.changed_in_google_at).toEqual(expect.any(String));
  });

  it("renamed, described, located: the text fields follow", async ({ expect }) => {
    const { user, event } = await bookedAndSynced();
    await patchInGoogle(user.email, event.google_event_id, {
      summary: "Renamed in Google",
      description: "Agenda added in Google",
      location: "Room 7",
    });
    await deliverNotifications(user.email);
    const after = await eventually(async () => {
      const e = await readEvent(user.token, event.id);
      return e.summary === "Renamed in Google" && e;
    });
    expect(after.description).toBe("Agenda added in Google");
    expect(after.location).toBe("Room 7");
    expect(after.start_time).toBe(event.start_time);
  });

  it("deleted: cancelled, by google; no mail to anyone; further changes refused", async ({ expect }) => {
    const { user, event } = await bookedAndSynced();
    await deleteInGoogle(user.email, event.google_event_id);
    await deliverNotifications(user.email);
    const after = await eventually(async () => {
      const e = await readEvent(user.token, event.id);
      return e.status === "cancelled" && e;
    });
    expect(after.cancelled_by).toBe("google");
    expect(after.emails.filter((m) => m.kind === "cancelled")).toEqual([]);
    const patch = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { summary: "too late" },
    });
    expect(patch.status).toBe(409);
    expect(((await patch.json()) as { code: string }).code).toBe("event_cancelled");
  });

  it("a cancellation through the API says cancelled_by api", async ({ expect }) => {
    const { user, event } = await bookedAndSynced();
    expect((await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
    await deliverNotifications(user.email);
    await syncSettled(user.accountId);
    const after = await readEvent(user.token, event.id);
    expect(after.status).toBe("cancelled");
    expect(after.cancelled_by).toBe("api");
  });
});

describe("this service's own writes", () => {
  it("a PATCH through the API does not come back as a change from Google", async ({ expect }) => {
    const { user, event } = await bookedAndSynced();
    const patched = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: {
        summary: "Moved by the API",
        start_time: "2026-12-02T10:00:00",
        end_time: "2026-12-02T11:00:00",
      },
    });
    expect(patched.status).toBe(200);
    const written = (await patched.json()) as EventJson;
    const runsBefore = await syncRuns(user.email);
    expect(await deliverNotifications(user.email)).toEqual([204]);
    await eventually(async () => (await syncRuns(user.email)) > runsBefore);
    await syncSettled(user.accountId);
    const after = await readEvent(user.token, event.id);
    expect(after.changed_in_google_at).toBeNull();
    expect(after.updated_at).toBe(written.updated_at);
    expect(after.summary).toBe("Moved by the API");
  });
});
