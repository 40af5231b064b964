// Layer: pure module (ics.ts), called directly; the output is parsed back with ical.js.
import ICAL from "ical.js";
import { describe, it } from "vitest";
import { buildIcs, type IcsInput } from "../../src/mail/ics";
import { offsetAt, toIcsLocal } from "../../src/time/zoned-time";

const INPUT: IcsInput = {
  method: "REQUEST",
  uid: "abc123def456@google.com",
  sequence: 0,
  start: new Date("2026-03-30T08:00:00Z"),
  end: new Date("2026-03-30T09:00:00Z"),
  timeZone: "Europe/Berlin",
  summary: "Planning",
  description: "Agenda:\n1. Budget",
  location: "Room 1",
  organizer: { email: "owner@example.com", name: "Olga Owner" },
  attendees: ["a@example.com", "b@example.com"],
  url: "https://www.google.com/calendar/event?eid=abc123",
  meetUrl: "https://meet.google.com/abc-defg-hij",
  status: "CONFIRMED",
  dtstamp: new Date("2026-03-01T12:00:00Z"),
};

const encoder = new TextEncoder();

/** Builds the ics, checks the RFC 5545 line rules every output must keep, and parses it with ical.js. */
function build(overrides: Partial<IcsInput> = {}) {
  const ics = buildIcs({ ...INPUT, ...overrides });
  if (!ics.endsWith("END:VCALENDAR\r\n")) throw new Error("ics must end with END:VCALENDAR and CRLF");
  if (/\r(?!\n)|(?<!\r)\n/.test(ics)) throw new Error("bare CR or LF in ics");
  const lines = ics.slice(0, -2).split("\r\n");
  for (const line of lines) {
    if (encoder.encode(line).length > 75) throw new Error(`line over 75 octets: ${line}`);
    // a fold that split a UTF-8 sequence would leave invalid UTF-8 on both lines
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(encoder.encode(line));
  }
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const vevent = calendar.getFirstSubcomponent("vevent");
  if (!vevent) throw new Error("no VEVENT");
  const unfolded = ics.replaceAll("\r\n ", "").split("\r\n");
  return { ics, lines, unfolded, calendar, vevent, event: new ICAL.Event(vevent) };
}

describe("buildIcs: the invitation", () => {
  it("writes the calendar header and the event's identity", ({ expect }) => {
    const { unfolded, calendar, vevent, event } = build({ sequence: 3 });
    expect(unfolded.slice(0, 5)).toEqual([
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//calendar-edge//EN",
      "CALSCALE:GREGORIAN",
      "METHOD:REQUEST",
    ]);
    expect(calendar.getFirstPropertyValue("method")).toBe("REQUEST");
    expect(event.uid).toBe("abc123def456@google.com");
    expect(event.sequence).toBe(3);
    expect(unfolded).toContain("DTSTAMP:20260301T120000Z");
    expect(vevent.getFirstPropertyValue("status")).toBe("CONFIRMED");
    expect(vevent.getFirstPropertyValue("transp")).toBe("OPAQUE");
  });

  it("writes start and end as wall clock in the event's zone, resolvable through the VTIMEZONE", ({
    expect,
  }) => {
    const { unfolded, event } = build();
    expect(unfolded).toContain("DTSTART;TZID=Europe/Berlin:20260330T100000");
    expect(unfolded).toContain("DTEND;TZID=Europe/Berlin:20260330T110000");
    expect(event.startDate.zone?.tzid).toBe("Europe/Berlin");
    expect(event.startDate.toJSDate().toISOString()).toBe("2026-03-30T08:00:00.000Z");
    expect(event.endDate.toJSDate().toISOString()).toBe("2026-03-30T09:00:00.000Z");
  });

  it("writes the people, the links and the texts", ({ expect }) => {
    const { unfolded, vevent, event } = build();
    expect(event.summary).toBe("Planning");
    expect(event.location).toBe("Room 1");
    expect(event.description).toBe(
      "Agenda:\n1. Budget\n\nJoin with Google Meet: https://meet.google.com/abc-defg-hij",
    );
    expect(vevent.getFirstPropertyValue("url")).toBe("https://www.google.com/calendar/event?eid=abc123");
    expect(vevent.getFirstPropertyValue("x-google-conference")).toBe("https://meet.google.com/abc-defg-hij");
    expect(unfolded).toContain("ORGANIZER;CN=Olga Owner:mailto:owner@example.com");
    expect(unfolded).toContain(
      "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:a@example.com",
    );
    expect(event.attendees.map((attendee) => attendee.getFirstValue())).toEqual([
      "mailto:a@example.com",
      "mailto:b@example.com",
    ]);
    expect(event.attendees[1]?.getParameter("rsvp")).toBe("TRUE");
  });

  it("leaves out optional properties that have no value", ({ expect }) => {
    const { ics, event } = build({ description: null, location: "  ", url: null, meetUrl: null });
    expect(ics).not.toMatch(/^(DESCRIPTION|LOCATION|URL|X-GOOGLE-CONFERENCE)[:;]/m);
    expect(event.description).toBeNull();
  });

  it("puts the Meet link in DESCRIPTION when there is no description", ({ expect }) => {
    const { event } = build({ description: null });
    expect(event.description).toBe("Join with Google Meet: https://meet.google.com/abc-defg-hij");
  });

  it("drops links that are not http(s)", ({ expect }) => {
    const { ics } = build({
      url: "javascript:alert(1)",
      meetUrl: "data:text/html,<script>alert(1)</script>",
    });
    expect(ics).not.toContain("javascript:");
    expect(ics).not.toContain("data:");
    expect(ics).not.toMatch(/^(URL|X-GOOGLE-CONFERENCE):/m);
  });

  it("rejects a sequence that is not a non-negative integer", ({ expect }) => {
    for (const sequence of [-1, 1.5, Number.NaN]) {
      expect(() => buildIcs({ ...INPUT, sequence })).toThrow(RangeError);
    }
  });
});

describe("buildIcs: the cancellation", () => {
  it("is METHOD:CANCEL with STATUS:CANCELLED, the same UID and a higher sequence", ({ expect }) => {
    const { calendar, vevent, event } = build({ method: "CANCEL", status: "CANCELLED", sequence: 2 });
    expect(calendar.getFirstPropertyValue("method")).toBe("CANCEL");
    expect(vevent.getFirstPropertyValue("status")).toBe("CANCELLED");
    expect(event.uid).toBe("abc123def456@google.com");
    expect(event.sequence).toBe(2);
    expect(event.attendees).toHaveLength(2);
    expect(event.startDate.toJSDate().toISOString()).toBe("2026-03-30T08:00:00.000Z");
  });
});

describe("buildIcs: text escaping and injection", () => {
  it("round-trips markup, commas, semicolons, backslashes and newlines", ({ expect }) => {
    const summary = "<script>alert(1)</script>, a; b \\ c \\n d";
    const description = "line 1\r\nline 2\rline 3\nline 4\ttabbed";
    const { unfolded, event } = build({ summary, description, meetUrl: null });
    expect(unfolded).toContain("SUMMARY:<script>alert(1)</script>\\, a\\; b \\\\ c \\\\n d");
    expect(event.summary).toBe(summary);
    expect(event.description).toBe("line 1\nline 2\nline 3\nline 4\ttabbed");
  });

  it("keeps CR/LF in user text from starting new properties", ({ expect }) => {
    const injection = "Hi\r\nATTENDEE:mailto:evil@x\r\nEND:VEVENT\nBEGIN:VEVENT\rUID:evil";
    const { ics, calendar, event } = build({
      uid: `uid-1${injection}`,
      summary: injection,
      description: injection,
      location: injection,
      organizer: { email: "owner@example.com\r\nATTENDEE:mailto:evil@x", name: `Olga${injection}` },
      attendees: ["a@example.com", "b@example.com\r\nATTENDEE:mailto:evil@x"],
    });
    expect(ics).not.toMatch(/^ATTENDEE:/m);
    expect(ics).not.toMatch(/^UID:evil/m);
    expect(calendar.getAllSubcomponents("vevent")).toHaveLength(1);
    expect(event.attendees).toHaveLength(2);
    expect(event.summary).toBe("Hi\nATTENDEE:mailto:evil@x\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil");
    expect(event.uid).toBe(`uid-1${event.summary}`);
    expect(event.organizer).toBe("mailto:owner@example.comATTENDEE:mailto:evil@x");
  });

  it("drops control characters other than tab and newline", ({ expect }) => {
    const { event } = build({ summary: "a\u0000b\u0007c\u001bd\u007fe\u0085f\tg" });
    expect(event.summary).toBe("abcdef\tg");
  });

  it("quotes CN when it holds : ; or , and removes double quotes from it", ({ expect }) => {
    const { unfolded, vevent } = build({
      organizer: { email: "o@example.com", name: 'Doe, "Jane"; CEO: X' },
    });
    expect(unfolded).toContain('ORGANIZER;CN="Doe, Jane; CEO: X":mailto:o@example.com');
    expect(vevent.getFirstProperty("organizer")?.getParameter("cn")).toBe("Doe, Jane; CEO: X");
  });

  it("leaves CN out when the organizer has no name", ({ expect }) => {
    const { unfolded } = build({ organizer: { email: "o@example.com", name: null } });
    expect(unfolded).toContain("ORGANIZER:mailto:o@example.com");
  });
});

describe("buildIcs: folding", () => {
  it("folds long ASCII lines at 75 octets with CRLF and one space", ({ expect }) => {
    const summary = "x".repeat(200);
    const { lines, event } = build({ summary });
    const start = lines.findIndex((line) => line.startsWith("SUMMARY:"));
    expect(lines[start]).toHaveLength(75);
    expect(lines[start + 1]).toBe(` ${"x".repeat(74)}`);
    expect(event.summary).toBe(summary);
  });

  it("never splits a multi-byte character, whatever the alignment", ({ expect }) => {
    for (let shift = 0; shift < 4; shift++) {
      const summary = `${"a".repeat(shift)}Grüße 日本語 🎉👩‍👩‍👧 ${"é€😀".repeat(40)}`;
      const { lines, event } = build({ summary, description: summary, location: summary });
      expect(event.summary).toBe(summary);
      expect(event.description).toContain(summary);
      expect(event.location).toBe(summary);
      // build() checked every line for <= 75 octets and valid UTF-8; folds land at most 3 octets early
      for (const line of lines.filter((_, i) => lines[i + 1]?.startsWith(" "))) {
        expect(encoder.encode(line).length).toBeGreaterThan(71);
      }
    }
  });
});

describe("buildIcs: time zones", () => {
  function observances(ics: string): string[] {
    const block = /BEGIN:VTIMEZONE\r\n([\s\S]*?)END:VTIMEZONE/.exec(ics)?.[1] ?? "";
    return block
      .split("\r\n")
      .filter((line) => line && !line.startsWith("TZID:"))
      .reduce<string[]>((all, line) => {
        if (line.startsWith("BEGIN:")) all.push(line.slice(6));
        else if (!line.startsWith("END:")) all[all.length - 1] += ` ${line}`;
        return all;
      }, []);
  }

  it("describes Europe/Berlin's 2026 with one STANDARD, one DAYLIGHT, one STANDARD", ({ expect }) => {
    const { ics } = build();
    expect(ics).toContain("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n");
    expect(observances(ics)).toEqual([
      "STANDARD DTSTART:20260101T000000 TZOFFSETFROM:+0100 TZOFFSETTO:+0100",
      "DAYLIGHT DTSTART:20260329T020000 TZOFFSETFROM:+0100 TZOFFSETTO:+0200",
      "STANDARD DTSTART:20261025T030000 TZOFFSETFROM:+0200 TZOFFSETTO:+0100",
    ]);
  });

  it("marks southern-hemisphere summer as DAYLIGHT", ({ expect }) => {
    const { ics, event } = build({
      timeZone: "Australia/Sydney",
      start: new Date("2026-01-10T23:00:00Z"),
      end: new Date("2026-01-11T00:00:00Z"),
    });
    expect(observances(ics)).toEqual([
      "DAYLIGHT DTSTART:20260101T000000 TZOFFSETFROM:+1100 TZOFFSETTO:+1100",
      "STANDARD DTSTART:20260405T030000 TZOFFSETFROM:+1100 TZOFFSETTO:+1000",
      "DAYLIGHT DTSTART:20261004T020000 TZOFFSETFROM:+1000 TZOFFSETTO:+1100",
    ]);
    expect(event.startDate.toJSDate().toISOString()).toBe("2026-01-10T23:00:00.000Z");
  });

  it("gives a zone without DST a single STANDARD block", ({ expect }) => {
    const { ics, event } = build({
      timeZone: "Asia/Kathmandu",
      start: new Date("2026-06-01T03:15:00Z"),
      end: new Date("2026-06-01T04:15:00Z"),
    });
    expect(observances(ics)).toEqual([
      "STANDARD DTSTART:20260101T000000 TZOFFSETFROM:+0545 TZOFFSETTO:+0545",
    ]);
    expect(ics).toContain("DTSTART;TZID=Asia/Kathmandu:20260601T090000");
    expect(event.startDate.toJSDate().toISOString()).toBe("2026-06-01T03:15:00.000Z");
  });

  it("uses UTC times and no VTIMEZONE for UTC", ({ expect }) => {
    const { ics, unfolded, event } = build({ timeZone: "UTC" });
    expect(ics).not.toContain("VTIMEZONE");
    expect(unfolded).toContain("DTSTART:20260330T080000Z");
    expect(unfolded).toContain("DTEND:20260330T090000Z");
    expect(event.startDate.toJSDate().toISOString()).toBe("2026-03-30T08:00:00.000Z");
  });

  it("covers both years of an event that crosses New Year", ({ expect }) => {
    const start = new Date("2026-12-31T22:00:00Z");
    const end = new Date("2027-01-01T06:00:00Z");
    const { ics, event } = build({ timeZone: "America/New_York", start, end });
    const list = observances(ics);
    expect(list.filter((entry) => entry.includes("DTSTART:2026"))).toHaveLength(3);
    expect(list.filter((entry) => entry.includes("DTSTART:2027"))).toHaveLength(3);
    expect(event.startDate.toJSDate().toISOString()).toBe(start.toISOString());
    expect(event.endDate.toJSDate().toISOString()).toBe(end.toISOString());
  });

  it("writes wall clocks that DST repeats in UTC, since clients resolve them differently", ({ expect }) => {
    const cases: [string, string][] = [
      ["2026-10-24T23:59:59Z", "DTSTART;TZID=Europe/Berlin:20261025T015959"],
      ["2026-10-25T00:00:00Z", "DTSTART:20261025T000000Z"], // 02:00 CEST, first pass
      ["2026-10-25T00:30:00Z", "DTSTART:20261025T003000Z"],
      ["2026-10-25T01:30:00Z", "DTSTART:20261025T013000Z"], // 02:30 CET, second pass
      ["2026-10-25T01:59:59Z", "DTSTART:20261025T015959Z"],
      ["2026-10-25T02:00:00Z", "DTSTART;TZID=Europe/Berlin:20261025T030000"],
    ];
    for (const [instant, line] of cases) {
      const start = new Date(instant);
      const { unfolded, event } = build({ start, end: new Date(start.getTime() + 3_600_000) });
      expect(unfolded, instant).toContain(line);
      expect(event.startDate.toJSDate().toISOString()).toBe(start.toISOString());
    }
  });

  it("lets ical.js convert every day of the year to the same local time as Intl", ({ expect }) => {
    for (const timeZone of [
      "Europe/Berlin",
      "America/New_York",
      "Australia/Lord_Howe",
      "Africa/Casablanca",
    ]) {
      const { calendar } = build({ timeZone });
      const vtimezone = calendar.getFirstSubcomponent("vtimezone");
      if (!vtimezone) throw new Error(`no VTIMEZONE for ${timeZone}`);
      const zone = new ICAL.Timezone(vtimezone);
      for (let time = Date.UTC(2026, 0, 1, 12); time < Date.UTC(2027, 0, 1); time += 86_400_000) {
        const instant = new Date(time);
        const local = ICAL.Time.fromJSDate(instant, true).convertToZone(zone);
        const expected = toIcsLocal(instant, timeZone);
        expect(local.toICALString(), `${timeZone} ${instant.toISOString()}`).toBe(expected);
        expect(zone.utcOffset(local)).toBe(offsetAt(instant, timeZone) * 60);
      }
    }
  });

  it("survives Samoa's skipped day", ({ expect }) => {
    const start = new Date("2011-12-29T20:00:00Z");
    const end = new Date("2011-12-30T12:00:00Z");
    const { ics, event } = build({ timeZone: "Pacific/Apia", start, end });
    expect(ics).toContain("TZOFFSETFROM:-1000\r\nTZOFFSETTO:+1400");
    expect(ics).toContain("DTSTART;TZID=Pacific/Apia:20111229T100000");
    expect(ics).toContain("DTEND;TZID=Pacific/Apia:20111231T020000");
    expect(event.startDate.toJSDate().toISOString()).toBe(start.toISOString());
    expect(event.endDate.toJSDate().toISOString()).toBe(end.toISOString());
  });
});
