// Layer: pure module (messages.ts), called directly; the attached ics is parsed back with ical.js.
import ICAL from "ical.js";
import { describe, it } from "vitest";
import { escapeHtml } from "../../src/mail/html-escape";
import { buildMessage, type MailEvent } from "../../src/mail/messages";

const EVENT: MailEvent = {
  icalUid: "evt123@google.com",
  sequence: 1,
  summary: "Quarterly review",
  description: "Bring numbers.\nAnd coffee.",
  location: "Room 4, Berlin",
  startTime: new Date("2026-07-06T08:00:00Z"),
  endTime: new Date("2026-07-06T09:00:00Z"),
  timeZone: "Europe/Berlin",
  participants: ["a@example.com", "b@example.com"],
  htmlLink: "https://www.google.com/calendar/event?eid=evt123&ctz=Europe/Berlin",
  meetUrl: "https://meet.google.com/abc-defg-hij",
};
const ORGANIZER = { email: "owner@example.com", name: "Olga Owner" };
const NOW = new Date("2026-07-01T12:00:00Z");

function build(kind: "created" | "updated" | "cancelled", overrides: Partial<MailEvent> = {}) {
  return buildMessage(kind, { ...EVENT, ...overrides }, ORGANIZER, NOW);
}

function parseIcs(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const vevent = calendar.getFirstSubcomponent("vevent");
  if (!vevent) throw new Error("no VEVENT");
  return { method: calendar.getFirstPropertyValue("method"), vevent, event: new ICAL.Event(vevent) };
}

describe("buildMessage: created", () => {
  it("invites with the time in the event's own zone", ({ expect }) => {
    const message = build("created");
    expect(message.subject).toMatch(
      /^Invitation: Quarterly review @ Monday, July 6, 2026.* 10:00 AM .*\(Europe\/Berlin\)$/,
    );
    expect(message.text).toContain("You have been invited");
    expect(message.text).toMatch(/Starts: Monday, July 6, 2026.* 10:00 AM .*\(Europe\/Berlin\)/);
    expect(message.text).toMatch(/Ends: Monday, July 6, 2026.* 11:00 AM .*\(Europe\/Berlin\)/);
    expect(message.html).toContain("10:00 AM");
    expect(message.html).toContain("11:00 AM");
  });

  it("names the organizer, the participants, the place, the description and the links", ({ expect }) => {
    const { text, html } = build("created");
    for (const body of [text, html]) {
      expect(body).toContain("Olga Owner");
      expect(body).toContain("a@example.com");
      expect(body).toContain("b@example.com");
      expect(body).toContain("Room 4, Berlin");
      expect(body).toContain("Bring numbers.");
      expect(body).toContain("https://meet.google.com/abc-defg-hij");
    }
    expect(text).toContain("Organizer: Olga Owner <owner@example.com>");
    expect(text).toContain("https://www.google.com/calendar/event?eid=evt123&ctz=Europe/Berlin");
    expect(html).toContain("Olga Owner &lt;owner@example.com&gt;");
    expect(html).toContain('<a href="https://meet.google.com/abc-defg-hij">Join with Google Meet</a>');
    expect(html).toContain(
      '<a href="https://www.google.com/calendar/event?eid=evt123&amp;ctz=Europe/Berlin">Open in Google Calendar</a>',
    );
    expect(html).toContain("Bring numbers.<br>And coffee.");
  });

  it("attaches a REQUEST whose UID is the iCalUID", ({ expect }) => {
    const message = build("created");
    expect(message.icsMethod).toBe("REQUEST");
    const { method, vevent, event } = parseIcs(message.ics);
    expect(method).toBe("REQUEST");
    expect(event.uid).toBe("evt123@google.com");
    expect(event.sequence).toBe(1);
    expect(vevent.getFirstPropertyValue("status")).toBe("CONFIRMED");
    expect(vevent.getFirstPropertyValue("dtstamp")?.toString()).toBe("2026-07-01T12:00:00Z");
    expect(event.startDate.toJSDate().toISOString()).toBe("2026-07-06T08:00:00.000Z");
    expect(event.attendees.map((attendee) => attendee.getFirstValue())).toEqual([
      "mailto:a@example.com",
      "mailto:b@example.com",
    ]);
  });

  it("leaves out what the event does not have", ({ expect }) => {
    const { text, html } = build("created", {
      description: null,
      location: null,
      meetUrl: null,
      htmlLink: null,
    });
    expect(text).not.toContain("Location:");
    expect(text).not.toContain("Meet");
    expect(text).not.toContain("Google Calendar:");
    expect(html).not.toContain("<a ");
    expect(html).not.toContain("Location");
  });

  it("calls an empty summary (No title)", ({ expect }) => {
    expect(build("created", { summary: "  " }).subject).toMatch(/^Invitation: \(No title\) @ /);
  });
});

describe("buildMessage: updated", () => {
  it("says the invitation was updated and sends a REQUEST with the new sequence", ({ expect }) => {
    const message = build("updated", { sequence: 4 });
    expect(message.subject).toMatch(/^Updated invitation: Quarterly review @ /);
    expect(message.text).toContain("This event has been updated");
    expect(message.icsMethod).toBe("REQUEST");
    expect(parseIcs(message.ics).event.sequence).toBe(4);
  });
});

describe("buildMessage: cancelled", () => {
  it("says clearly that the event is cancelled and attaches METHOD:CANCEL", ({ expect }) => {
    const message = build("cancelled", { sequence: 2 });
    expect(message.subject).toMatch(/^Cancelled: Quarterly review @ /);
    expect(message.text).toContain("This event has been cancelled and will not take place.");
    expect(message.text).toContain("Cancelled: Quarterly review");
    expect(message.html).toContain("cancelled");
    expect(message.icsMethod).toBe("CANCEL");
    expect(message.ics).toContain("\r\nMETHOD:CANCEL\r\n");
    const { method, vevent, event } = parseIcs(message.ics);
    expect(method).toBe("CANCEL");
    expect(vevent.getFirstPropertyValue("status")).toBe("CANCELLED");
    expect(event.uid).toBe("evt123@google.com");
    expect(event.sequence).toBe(2);
  });

  it("offers no Meet link to join", ({ expect }) => {
    const { text, html } = build("cancelled");
    expect(text).not.toContain("meet.google.com");
    expect(html).not.toContain("meet.google.com");
  });
});

describe("buildMessage: hostile and unusual input", () => {
  it("escapes markup in every user-supplied string of the HTML", ({ expect }) => {
    const script = "<script>alert(1)</script>";
    const { html, text } = build("created", {
      summary: script,
      description: `${script}\n<img src=x onerror=alert(1)>`,
      location: `"'><b>x</b>`,
      participants: [`${script}@example.com`],
    });
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&quot;&#39;&gt;&lt;b&gt;x&lt;/b&gt;");
    expect(text).toContain(script);
  });

  it("escapes the organizer's name", ({ expect }) => {
    const message = buildMessage("created", EVENT, { email: "o@example.com", name: "<i>Boss</i> & co" }, NOW);
    expect(message.html).toContain("&lt;i&gt;Boss&lt;/i&gt; &amp; co");
    expect(message.html).not.toContain("<i>");
  });

  it("links only http(s) URLs", ({ expect }) => {
    const { html, text } = build("created", {
      htmlLink: "javascript:alert(1)",
      meetUrl: 'https://meet.google.com/x"onmouseover="alert(1)',
    });
    expect(html).not.toContain("javascript:");
    expect(text).not.toContain("javascript:");
    expect(html).not.toContain('"onmouseover');
    expect(html).toContain('<a href="https://meet.google.com/x%22onmouseover=%22alert(1)">');
  });

  it("keeps CR, LF and other control characters out of the subject", ({ expect }) => {
    const { subject, text, ics } = build("created", {
      summary: "Hi\r\nBcc: everyone@example.com\r\n\r\nbody\u0000\u0007\u2028\u202eevil",
    });
    expect(subject).not.toMatch(/[\p{Cc}\u2028\u2029\u202e]/u);
    expect(subject).toMatch(/^Invitation: Hi Bcc: everyone@example.com body evil @ /);
    expect(text).not.toContain("\r");
    expect(ics).not.toMatch(/^Bcc:/m);
  });

  it("caps the subject at 200 characters with an ellipsis and keeps the time", ({ expect }) => {
    const { subject } = build("created", { summary: "word ".repeat(100) });
    expect(Array.from(subject).length).toBeLessThanOrEqual(200);
    expect(subject).toContain("… @ Monday, July 6, 2026");
  });

  it("keeps unicode intact, without splitting emoji when truncating", ({ expect }) => {
    const summary = "Grüße 日本語 🎉 Café";
    const message = build("created", { summary, location: "Zürich" });
    expect(message.subject).toContain(summary);
    expect(message.text).toContain(summary);
    expect(message.html).toContain(summary);
    expect(message.html).toContain("Zürich");
    expect(parseIcs(message.ics).event.summary).toBe(summary);

    const long = build("created", { summary: "🎉".repeat(300) }).subject;
    expect(long.isWellFormed()).toBe(true);
    expect(long).toContain("🎉…");
  });

  it("shows other zones' wall clock too", ({ expect }) => {
    const message = build("created", {
      timeZone: "America/New_York",
      startTime: new Date("2026-01-15T15:00:00Z"),
      endTime: new Date("2026-01-15T15:30:00Z"),
    });
    expect(message.text).toMatch(/Starts: Thursday, January 15, 2026.* 10:00 AM EST \(America\/New_York\)/);
    expect(message.text).toMatch(/Ends: .* 10:30 AM EST/);
  });
});

describe("escapeHtml", () => {
  it("replaces the five HTML-significant characters", ({ expect }) => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;",
    );
    expect(escapeHtml("plain ünïcödé 🎉")).toBe("plain ünïcödé 🎉");
  });
});
