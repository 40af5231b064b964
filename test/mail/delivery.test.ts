// Layer: contract over HTTP, end to end through the real local queue: POST/PATCH/DELETE → outbox → queue →
// consumer → MAILER (spied at the binding, calling through). Each .ics is parsed back with ical.js.
import { describe, it } from "vitest";
import { api } from "../support/app";
import { createEvent } from "../support/events";
import { icsOf, type SentMail, waitForMail, watchMail } from "../support/mail";
import { newEmail, signIn } from "../support/sign-in";

const byRecipient = (a: SentMail, b: SentMail) => a.to.localeCompare(b.to);

describe("create", () => {
  it("mails each participant one REQUEST whose UID, SEQUENCE and times match the event", async ({
    expect,
  }) => {
    const mail = watchMail();
    const user = await signIn();
    const participants = [newEmail("ada"), newEmail("grace")];
    const { res, event } = await createEvent(user.token, {
      participants,
      start_time: "2026-12-01T10:00:00",
      end_time: "2026-12-01T11:30:00",
      time_zone: "America/New_York",
      summary: "Budget review",
      location: "Room 4",
    });
    expect(res.status).toBe(201);
    expect(event.emails.map((e) => [e.to, e.kind, e.status])).toEqual(
      participants.map((to) => [to, "created", "queued"]),
    );

    const settled = await waitForMail(user.token, event.id);
    expect(settled.emails.map((e) => [e.to, e.kind, e.status, e.attempts])).toEqual(
      participants.map((to) => [to, "created", "sent", 1]),
    );

    const sent = mail.about(event.ical_uid).sort(byRecipient);
    expect(sent.map((m) => m.to)).toEqual([...participants].sort());
    for (const message of sent) {
      expect(message.from).toEqual({ name: "calendar-edge tests", email: "calendar@calendar-edge.test" });
      expect(message.replyTo).toBe(user.email);
      expect(message.subject).toMatch(/^Invitation: Budget review @ Tuesday, December 1, 2026.* 10:00 AM/);
      expect(message.text).toContain("Budget review");
      expect(message.html).toContain("Budget review");
      expect(message.attachments).toHaveLength(1);
      const ics = icsOf(message);
      expect(ics.contentType).toBe("text/calendar; charset=utf-8; method=REQUEST");
      expect(ics.method).toBe("REQUEST");
      expect(ics.uid).toBe(event.ical_uid);
      expect(ics.sequence).toBe(0);
      expect(ics.status).toBe("CONFIRMED");
      expect(ics.summary).toBe("Budget review");
      expect(ics.location).toBe("Room 4");
      expect(ics.organizer).toBe(user.email);
      expect(ics.attendees).toEqual(participants);
      expect(ics.start.tzid).toBe("America/New_York");
      expect(ics.end.tzid).toBe("America/New_York");
      expect(ics.start.date.getTime()).toBe(Date.parse(event.start_time));
      expect(ics.end.date.getTime()).toBe(Date.parse(event.end_time));
      expect(ics.raw).toContain("DTSTART;TZID=America/New_York:20261201T100000");
    }
  });

  it("writes UTC times for a UTC event", async ({ expect }) => {
    const mail = watchMail();
    const user = await signIn();
    const { event } = await createEvent(user.token, {
      participants: [newEmail("ada")],
      start_time: "2026-12-01T10:00:00Z",
      end_time: "2026-12-01T11:00:00Z",
      time_zone: "UTC",
    });
    await waitForMail(user.token, event.id);
    const [message] = mail.about(event.ical_uid);
    const ics = icsOf(message!);
    expect(ics.raw).toContain("DTSTART:20261201T100000Z");
    expect(ics.start.tzid).toBeUndefined();
    expect(ics.start.date.toISOString()).toBe("2026-12-01T10:00:00.000Z");
  });
});

describe("reschedule", () => {
  it("mails current participants a REQUEST with a higher SEQUENCE and removed ones a CANCEL", async ({
    expect,
  }) => {
    const mail = watchMail();
    const user = await signIn();
    const [ada, grace, linus] = [newEmail("ada"), newEmail("grace"), newEmail("linus")];
    const { event } = await createEvent(user.token, { participants: [ada, grace] });
    await waitForMail(user.token, event.id);

    const res = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: {
        participants: [ada, linus],
        start_time: "2026-12-02T15:00:00+01:00",
        end_time: "2026-12-02T16:00:00+01:00",
      },
    });
    expect(res.status).toBe(200);
    const updated = (await res.json()) as typeof event;

    const settled = await waitForMail(user.token, event.id);
    const changes = settled.emails.filter((e) => e.kind !== "created");
    expect(changes.map((e) => [e.to, e.kind, e.status]).sort()).toEqual(
      [
        [ada, "updated", "sent"],
        [linus, "updated", "sent"],
        [grace, "cancelled", "sent"],
      ].sort(),
    );

    const sent = mail.about(event.ical_uid);
    // One per participant per change: two invitations, then three mails for the reschedule.
    expect(sent).toHaveLength(5);
    const [created, rescheduled] = [sent.slice(0, 2), sent.slice(2)];
    expect(created.map((m) => icsOf(m).sequence)).toEqual([0, 0]);

    const toAda = rescheduled.find((m) => m.to === ada)!;
    const toLinus = rescheduled.find((m) => m.to === linus)!;
    const toGrace = rescheduled.find((m) => m.to === grace)!;
    for (const message of [toAda, toLinus]) {
      const ics = icsOf(message);
      expect(message.subject).toMatch(/^Updated invitation: /);
      expect(ics.method).toBe("REQUEST");
      expect(ics.uid).toBe(event.ical_uid);
      expect(ics.sequence).toBeGreaterThan(0);
      expect(ics.attendees).toEqual([ada, linus]);
      expect(ics.start.tzid).toBe("Europe/Berlin");
      expect(ics.start.date.getTime()).toBe(Date.parse(updated.start_time));
      expect(ics.end.date.getTime()).toBe(Date.parse(updated.end_time));
    }
    const cancel = icsOf(toGrace);
    expect(cancel.contentType).toBe("text/calendar; charset=utf-8; method=CANCEL");
    expect(cancel.method).toBe("CANCEL");
    expect(cancel.uid).toBe(event.ical_uid);
    expect(cancel.sequence).toBe(icsOf(toAda).sequence);
    // An uninvitation names only the removed attendee, so it cannot cancel the event for anyone else.
    expect(cancel.attendees).toEqual([grace]);
    expect(toGrace.subject).toMatch(/^Removed from event: /);
    expect(toGrace.text).toContain("You have been removed from this event");
    expect(toGrace.text).not.toContain(ada);
  });

  it("raises the SEQUENCE with every change", async ({ expect }) => {
    const mail = watchMail();
    const user = await signIn();
    const ada = newEmail("ada");
    const { event } = await createEvent(user.token, { participants: [ada] });
    for (const summary of ["First", "Second"]) {
      await waitForMail(user.token, event.id);
      const res = await api(`/api/events/${event.id}`, {
        method: "PATCH",
        token: user.token,
        body: { summary },
      });
      expect(res.status).toBe(200);
    }
    const settled = await waitForMail(user.token, event.id);
    expect(settled.emails.map((e) => [e.kind, e.status])).toEqual([
      ["created", "sent"],
      ["updated", "sent"],
      ["updated", "sent"],
    ]);
    const sequences = mail.about(event.ical_uid).map((m) => icsOf(m).sequence);
    expect(sequences).toHaveLength(3);
    expect(sequences[1]).toBeGreaterThan(sequences[0]!);
    expect(sequences[2]).toBeGreaterThan(sequences[1]!);
    expect(icsOf(mail.about(event.ical_uid)[2]!).summary).toBe("Second");
  });
});

describe("cancel", () => {
  it("mails each participant one CANCEL with the same UID and a higher SEQUENCE", async ({ expect }) => {
    const mail = watchMail();
    const user = await signIn();
    const participants = [newEmail("ada"), newEmail("grace")];
    const { event } = await createEvent(user.token, { participants });
    await waitForMail(user.token, event.id);

    const res = await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token });
    expect(res.status).toBe(204);

    const settled = await waitForMail(user.token, event.id);
    expect(settled.status).toBe("cancelled");
    expect(settled.emails.filter((e) => e.kind === "cancelled").map((e) => [e.to, e.status])).toEqual(
      participants.map((to) => [to, "sent"]),
    );
    const cancels = mail.about(event.ical_uid).filter((m) => icsOf(m).method === "CANCEL");
    expect(cancels.map((m) => m.to).sort()).toEqual([...participants].sort());
    for (const message of cancels) {
      const ics = icsOf(message);
      expect(message.subject).toMatch(/^Cancelled: /);
      expect(ics.contentType).toBe("text/calendar; charset=utf-8; method=CANCEL");
      expect(ics.status).toBe("CANCELLED");
      expect(ics.sequence).toBeGreaterThan(0);
      expect(ics.attendees).toEqual(participants);
    }
    // A second DELETE changes nothing and mails nobody.
    expect((await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
    expect((await waitForMail(user.token, event.id)).emails).toHaveLength(4);
  });
});
