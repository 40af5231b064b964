// Layer: pure module (zoned-time.ts), called directly.
import { describe, it } from "vitest";
import {
  formatForHumans,
  formatInZone,
  isValidTimeZone,
  offsetAt,
  parseRfc3339OrLocal,
  toIcsLocal,
  toIcsUtc,
  wallClockToInstant,
} from "../../src/time/zoned-time";

const iso = (value: string) => new Date(value).getTime();

describe("isValidTimeZone", () => {
  it("accepts IANA names and UTC", ({ expect }) => {
    for (const name of [
      "Europe/Berlin",
      "America/New_York",
      "Asia/Kathmandu",
      "Pacific/Apia",
      "UTC",
      "Etc/UTC",
    ]) {
      expect(isValidTimeZone(name), name).toBe(true);
    }
  });

  it("rejects empty, unknown, padded and offset names", ({ expect }) => {
    for (const name of [
      "",
      "Local",
      "Mars/Olympus_Mons",
      " Europe/Berlin",
      "Europe/Berlin ",
      "+01:00",
      "-05",
    ]) {
      expect(isValidTimeZone(name), JSON.stringify(name)).toBe(false);
    }
  });
});

describe("offsetAt", () => {
  it("gives the offset in minutes, DST included", ({ expect }) => {
    expect(offsetAt(new Date("2026-01-15T12:00:00Z"), "Europe/Berlin")).toBe(60);
    expect(offsetAt(new Date("2026-07-15T12:00:00Z"), "Europe/Berlin")).toBe(120);
    expect(offsetAt(new Date("2026-01-15T12:00:00Z"), "America/New_York")).toBe(-300);
    expect(offsetAt(new Date("2026-07-15T12:00:00Z"), "America/New_York")).toBe(-240);
    expect(offsetAt(new Date("2026-07-15T12:00:00Z"), "Asia/Kolkata")).toBe(330);
    expect(offsetAt(new Date("2026-07-15T12:00:00Z"), "Asia/Kathmandu")).toBe(345);
    expect(offsetAt(new Date("2026-07-15T12:00:00Z"), "UTC")).toBe(0);
  });

  it("changes exactly at the transition instant", ({ expect }) => {
    expect(offsetAt(new Date(iso("2026-03-29T01:00:00Z") - 1), "Europe/Berlin")).toBe(60);
    expect(offsetAt(new Date("2026-03-29T01:00:00Z"), "Europe/Berlin")).toBe(120);
  });

  it("follows Samoa across the date line in 2011", ({ expect }) => {
    expect(offsetAt(new Date("2011-12-30T09:59:59Z"), "Pacific/Apia")).toBe(-600);
    expect(offsetAt(new Date("2011-12-30T10:00:00Z"), "Pacific/Apia")).toBe(840);
  });

  it("throws RangeError for an unknown zone", ({ expect }) => {
    expect(() => offsetAt(new Date(), "Local")).toThrow(RangeError);
  });
});

describe("wallClockToInstant", () => {
  const cases: [string, string, string, string][] = [
    // [zone, wall clock, instant, formatInZone of the instant]
    ["Europe/Berlin", "2026-03-30T10:00:00", "2026-03-30T08:00:00Z", "2026-03-30T10:00:00+02:00"],
    ["Europe/Berlin", "2026-01-30T10:00", "2026-01-30T09:00:00Z", "2026-01-30T10:00:00+01:00"],
    ["Europe/Berlin", "2026-03-29T01:59:59", "2026-03-29T00:59:59Z", "2026-03-29T01:59:59+01:00"],
    ["Europe/Berlin", "2026-03-29T03:00:00", "2026-03-29T01:00:00Z", "2026-03-29T03:00:00+02:00"],
    // gap: 02:00-03:00 does not exist; moved forward by the gap (1 h)
    ["Europe/Berlin", "2026-03-29T02:00:00", "2026-03-29T01:00:00Z", "2026-03-29T03:00:00+02:00"],
    ["Europe/Berlin", "2026-03-29T02:30:00", "2026-03-29T01:30:00Z", "2026-03-29T03:30:00+02:00"],
    // overlap: 02:00-03:00 happens twice; the earlier (+02:00) one
    ["Europe/Berlin", "2026-10-25T02:00:00", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00+02:00"],
    ["Europe/Berlin", "2026-10-25T02:30:00", "2026-10-25T00:30:00Z", "2026-10-25T02:30:00+02:00"],
    ["Europe/Berlin", "2026-10-25T03:00:00", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00+01:00"],
    ["America/New_York", "2026-03-08T02:30:00", "2026-03-08T07:30:00Z", "2026-03-08T03:30:00-04:00"],
    ["America/New_York", "2026-11-01T01:30:00", "2026-11-01T05:30:00Z", "2026-11-01T01:30:00-04:00"],
    ["America/New_York", "2026-11-01T02:00:00", "2026-11-01T07:00:00Z", "2026-11-01T02:00:00-05:00"],
    // 30-minute DST: gap 02:00-02:30 in October, overlap 01:30-02:00 in April
    ["Australia/Lord_Howe", "2026-10-04T02:15:00", "2026-10-03T15:45:00Z", "2026-10-04T02:45:00+11:00"],
    ["Australia/Lord_Howe", "2026-04-05T01:45:00", "2026-04-04T14:45:00Z", "2026-04-05T01:45:00+11:00"],
    ["Asia/Kolkata", "2026-06-01T09:00:00", "2026-06-01T03:30:00Z", "2026-06-01T09:00:00+05:30"],
    ["Asia/Kathmandu", "2026-06-01T09:00:00", "2026-06-01T03:15:00Z", "2026-06-01T09:00:00+05:45"],
    // Samoa skipped 30 December 2011 (a 24 h gap) when it moved west of the date line
    ["Pacific/Apia", "2011-12-29T23:00:00", "2011-12-30T09:00:00Z", "2011-12-29T23:00:00-10:00"],
    ["Pacific/Apia", "2011-12-30T12:00:00", "2011-12-30T22:00:00Z", "2011-12-31T12:00:00+14:00"],
    ["Pacific/Apia", "2011-12-31T00:00:00", "2011-12-30T10:00:00Z", "2011-12-31T00:00:00+14:00"],
    ["UTC", "2026-01-01T00:00", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
    ["UTC", "2024-02-29T23:59:59.999", "2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"],
  ];

  for (const [zone, wall, instant, zoned] of cases) {
    it(`${wall} in ${zone} is ${zoned}`, ({ expect }) => {
      const result = wallClockToInstant(wall, zone);
      expect(result.toISOString()).toBe(new Date(instant).toISOString());
      expect(formatInZone(result, zone)).toBe(zoned);
    });
  }

  it("keeps two-digit years and truncates fractions to milliseconds", ({ expect }) => {
    expect(wallClockToInstant("0099-12-31T23:00", "UTC").getUTCFullYear()).toBe(99);
    expect(wallClockToInstant("2026-01-01T10:00:05.123987", "UTC").toISOString()).toBe(
      "2026-01-01T10:00:05.123Z",
    );
    expect(wallClockToInstant("2026-01-01T10:00:05.5", "UTC").getUTCMilliseconds()).toBe(500);
  });

  it("round-trips every hour of 2026, repeated times resolving to their first occurrence", ({ expect }) => {
    for (const zone of ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]) {
      let mismatches = 0;
      for (let time = iso("2026-01-01T00:00:00Z"); time < iso("2027-01-01T00:00:00Z"); time += 3_600_000) {
        const wall = formatInZone(new Date(time), zone).slice(0, 19);
        const back = wallClockToInstant(wall, zone).getTime();
        if (back !== time) {
          mismatches++;
          // only the second pass through a repeated hour may differ, and then by the DST shift
          expect(formatInZone(new Date(back), zone).slice(0, 19)).toBe(wall);
          expect(back).toBeLessThan(time);
        }
      }
      // the one hour a year (Lord Howe: 15:00Z on 4 April) that is the second pass through a repeated wall clock
      expect(mismatches).toBe(zone === "Asia/Kathmandu" ? 0 : 1);
    }
  });

  it("throws RangeError for malformed or offset-bearing input", ({ expect }) => {
    for (const value of [
      "2026-02-30T10:00",
      "2026-01-01",
      "2026-01-01T10:00:00Z",
      "2026-01-01T10:00:00+01:00",
    ]) {
      expect(() => wallClockToInstant(value, "UTC"), value).toThrow(RangeError);
    }
    expect(() => wallClockToInstant("2026-01-01T10:00", "Local")).toThrow(RangeError);
  });
});

describe("parseRfc3339OrLocal", () => {
  it("reads instants with an offset, whatever the zone", ({ expect }) => {
    const accepted: [string, string][] = [
      ["2026-03-30T08:00:00Z", "2026-03-30T08:00:00.000Z"],
      ["2026-03-30t08:00:00z", "2026-03-30T08:00:00.000Z"],
      ["2026-03-30T10:00:00+02:00", "2026-03-30T08:00:00.000Z"],
      ["2026-03-30T03:00:00-05:00", "2026-03-30T08:00:00.000Z"],
      ["2026-03-30T13:45:00+05:45", "2026-03-30T08:00:00.000Z"],
      ["2026-03-30T08:00:00-00:00", "2026-03-30T08:00:00.000Z"],
      ["2026-03-30T08:00:00.25Z", "2026-03-30T08:00:00.250Z"],
      ["2028-02-29T00:00:00Z", "2028-02-29T00:00:00.000Z"],
      ["2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"],
      ["2026-12-31T23:59:59+23:59", "2026-12-31T00:00:59.000Z"],
    ];
    for (const [value, expected] of accepted) {
      expect(parseRfc3339OrLocal(value, "Pacific/Apia")?.toISOString(), value).toBe(expected);
    }
  });

  it("reads values without an offset as wall clock in the zone, seconds optional", ({ expect }) => {
    expect(parseRfc3339OrLocal("2026-03-30T10:00", "Europe/Berlin")?.toISOString()).toBe(
      "2026-03-30T08:00:00.000Z",
    );
    expect(parseRfc3339OrLocal("2026-03-29T02:30:00", "Europe/Berlin")?.toISOString()).toBe(
      "2026-03-29T01:30:00.000Z",
    );
    expect(parseRfc3339OrLocal("2026-10-25T02:30:00", "Europe/Berlin")?.toISOString()).toBe(
      "2026-10-25T00:30:00.000Z",
    );
    expect(parseRfc3339OrLocal("2026-03-30T10:00:00", "UTC")?.toISOString()).toBe("2026-03-30T10:00:00.000Z");
  });

  it("returns null for anything malformed", ({ expect }) => {
    const rejected = [
      "2026-02-30T10:00:00Z",
      "2026-02-29T10:00:00Z",
      "2100-02-29T10:00:00Z",
      "2026-04-31T10:00:00",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T10:60:00Z",
      "2026-01-01T10:00:60Z",
      "2026-01-01T10:00Z",
      "2026-01-01T10:00:00+25:00",
      "2026-01-01T10:00:00+01:60",
      "2026-01-01T10:00:00+0100",
      "2026-01-01T10:00:00+01",
      "2026-01-01T10:00:00.Z",
      "2026-01-01 10:00:00Z",
      "2026-01-01T10",
      "2026-1-01T10:00:00Z",
      "26-01-01T10:00:00Z",
      "+002026-01-01T10:00:00Z",
      " 2026-01-01T10:00:00Z",
      "2026-01-01T10:00:00Z\n",
      "2026-01-01T10:00:00Z[Europe/Berlin]",
      "２０２６-01-01T10:00:00Z",
      "2026-01-01",
      "tomorrow",
      "1712345678",
      "",
    ];
    for (const value of rejected) {
      expect(parseRfc3339OrLocal(value, "Europe/Berlin"), JSON.stringify(value)).toBeNull();
    }
    expect(parseRfc3339OrLocal(1712345678 as unknown as string, "UTC")).toBeNull();
  });
});

describe("formatInZone", () => {
  it("writes RFC 3339 with the zone's offset at that instant", ({ expect }) => {
    const instant = new Date("2026-07-01T08:00:00Z");
    expect(formatInZone(instant, "Europe/Berlin")).toBe("2026-07-01T10:00:00+02:00");
    expect(formatInZone(instant, "America/New_York")).toBe("2026-07-01T04:00:00-04:00");
    expect(formatInZone(instant, "Asia/Kathmandu")).toBe("2026-07-01T13:45:00+05:45");
    expect(formatInZone(instant, "America/St_Johns")).toBe("2026-07-01T05:30:00-02:30");
    expect(formatInZone(instant, "UTC")).toBe("2026-07-01T08:00:00Z");
    expect(formatInZone(new Date("2026-01-01T00:00:00.042Z"), "UTC")).toBe("2026-01-01T00:00:00.042Z");
  });

  it("is read back by parseRfc3339OrLocal to the same instant", ({ expect }) => {
    const instant = new Date("2026-10-25T01:30:00Z");
    const text = formatInZone(instant, "Europe/Berlin");
    expect(text).toBe("2026-10-25T02:30:00+01:00");
    expect(parseRfc3339OrLocal(text, "UTC")?.getTime()).toBe(instant.getTime());
  });
});

describe("formatForHumans", () => {
  it("shows the wall clock in the event's zone and names the zone", ({ expect }) => {
    const text = formatForHumans(new Date("2026-03-30T08:00:00Z"), "Europe/Berlin");
    expect(text).toContain("Monday, March 30, 2026");
    expect(text).toContain("10:00 AM");
    expect(text.endsWith(" (Europe/Berlin)")).toBe(true);
    expect(text).not.toMatch(/[\u00a0\u202f]/);
  });

  it("does not repeat UTC and honours the locale", ({ expect }) => {
    const instant = new Date("2026-03-30T08:00:00Z");
    expect(formatForHumans(instant, "UTC")).toMatch(/^Monday, March 30, 2026.* 8:00 AM UTC$/);
    expect(formatForHumans(instant, "Europe/Berlin", "de-DE")).toContain("Montag, 30. März 2026");
  });
});

describe("iCalendar forms", () => {
  it("writes local and UTC DATE-TIME values", ({ expect }) => {
    const instant = new Date("2026-03-29T01:30:00.999Z");
    expect(toIcsLocal(instant, "Europe/Berlin")).toBe("20260329T033000");
    expect(toIcsLocal(instant, "America/New_York")).toBe("20260328T213000");
    expect(toIcsLocal(instant, "UTC")).toBe("20260329T013000");
    expect(toIcsUtc(instant)).toBe("20260329T013000Z");
  });
});
