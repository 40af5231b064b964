// Hostile HTTP input for test/hostile/ (fast-check arbitraries), and the checks every hostile answer must
// pass: no 5xx, problem+json from the closed code list, and no write (D1, KV, Google) unless it was valid.
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { PROBLEM_CODES } from "../../src/http/problem";
import { TEST_ORIGIN } from "./constants";
import { createEvent } from "./events";
import { callsOf, googleEventsOf } from "./google";
import { type SignedIn, signIn } from "./sign-in";

// ---------------------------------------------------------------------------------------------------------
// Text

/** Pieces that break naive code: NUL, lone surrogates, bidi overrides, joiners, BOM, escapes, traversal. */
const ATOMS = [
  "",
  " ",
  "\t",
  "\u0000",
  "\u0007",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\ud800",
  "\udfff",
  "\udbff\udfff",
  "\u202e",
  "\u202d",
  "\u2066",
  "\u200b",
  "\u200d",
  "\u2028",
  "\ufeff",
  "\ufffd",
  "\uffff",
  "👩‍👩‍👧‍👦",
  "🏳️‍🌈",
  "e\u0301",
  "İ",
  "ß",
  "ﷺ",
  "١٢٣",
  "２０２６",
  "𝟚𝟘𝟚𝟞",
  "%00",
  "%2F",
  "%2e%2e",
  "%ZZ",
  "../",
  "..\\",
  "'",
  '"',
  "\\",
  "\\u0000",
  "<script>",
  "{{x}}",
  "%s%n",
  "\r\n",
  "null",
  "NaN",
  "-0",
  "1e309",
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const oddUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(...ATOMS) },
  { weight: 1, arbitrary: loneSurrogate },
);

/** Short text of ASCII, any code point, lone surrogates, bidi overrides, NUL, emoji, escapes. */
export const oddText = (maxLength = 24): fc.Arbitrary<string> => fc.string({ unit: oddUnit, maxLength });

/** Printable ASCII only: for header values that must not trip the runtime's non-ASCII warning. */
export const asciiText = (maxLength = 24): fc.Arbitrary<string> =>
  fc.string({ unit: "grapheme-ascii", maxLength });

/** A long run of one character, printed compactly in counterexamples and expanded when sent. */
interface Huge {
  $huge: string;
  times: number;
}
const huge = (min: number, max: number): fc.Arbitrary<Huge> =>
  fc.record({
    $huge: fc.constantFrom("a", "é", "😀", "\u0000", "\ud800", " ", "\u202e", '"', "\\"),
    times: fc.integer({ min, max }),
  });
function isHuge(value: unknown): value is Huge {
  return typeof value === "object" && value !== null && "$huge" in value && "times" in value;
}
/** JSON.stringify that expands `Huge` markers. */
function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (isHuge(v) ? v.$huge.repeat(v.times) : v)) ?? "null";
}

/** Any JSON-ish value of the wrong shape, to put where a field expects something else. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 53, Number.MAX_VALUE, 1e-300),
  fc.array(fc.oneof(fc.integer(), oddText(6), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(oddText(6), fc.oneof(fc.integer(), oddText(6)), { maxKeys: 3 }),
  fc.constant(JSON.parse('{"__proto__": {"participants": ["ada@example.com"]}, "constructor": "x"}')),
  oddText(),
  { weight: 1, arbitrary: huge(1_000, 20_000) },
);

// ---------------------------------------------------------------------------------------------------------
// Dates, zones, addresses

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Date-times built field by field, each field sometimes out of range or oddly written. */
const assembledDateTime = fc
  .record({
    year: fc.oneof(fc.integer({ min: 2000, max: 2100 }), fc.integer({ min: 0, max: 9999 })),
    month: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 12 }) }, fc.constantFrom(0, 13, 99)),
    day: fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 28 }) },
      fc.constantFrom(0, 29, 30, 31, 32),
    ),
    hour: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 23 }) }, fc.constantFrom(24, 99)),
    minute: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 59 }) }, fc.constant(60)),
    second: fc.option(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 59 }) }, fc.constant(60)), {
      nil: undefined,
    }),
    fraction: fc.option(fc.stringMatching(/^\d{1,40}$/), { nil: undefined, freq: 4 }),
    separator: fc.constantFrom("T", "T", "T", "t", " ", "_"),
    offset: fc.oneof(
      fc.constantFrom(undefined, "Z", "z", "+00:00", "-00:00", "+05:30", "-03:30", "+14:00", "-12:00"),
      fc.constantFrom("+24:00", "+23:60", "+0100", "+01", "GMT", " Z", "Z ", "+01:00:00", "UTC"),
    ),
  })
  .map((p) => {
    const time = `${pad(p.hour, 2)}:${pad(p.minute, 2)}${p.second === undefined ? "" : `:${pad(p.second, 2)}`}`;
    const fraction = p.second !== undefined && p.fraction ? `.${p.fraction}` : "";
    return `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}${p.separator}${time}${fraction}${p.offset ?? ""}`;
  });

const MALFORMED_DATES = [
  "",
  "now",
  "tomorrow",
  "2026-12-01",
  "2026-12-01T10",
  "2026-12-01T10:00Z",
  "2026-12-01T10:00:00+01",
  "2026-02-29T10:00:00Z",
  "2026-04-31T10:00:00Z",
  "2026-12-01T23:59:60Z",
  "2026-12-01T24:00:00Z",
  "0000-01-01T00:00:00Z",
  "0000-01-01T00:30:00+01:00",
  "0001-01-01T00:00:00Z",
  "0099-12-31T23:00:00",
  "9999-12-31T23:59:59-23:59",
  "+275760-09-13T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "2026-12-01T10:00:00.Z",
  "2026-12-01T10:00:00,5Z",
  "2026-12-01T10:00:00Z\u0000",
  "\u202e2026-12-01T10:00:00Z",
  "２０２６-１２-０１T１０:００:００Z",
  "2026-12-01T10:00:00 Europe/Berlin",
  "2026-12-01T10:00:00[Europe/Berlin]",
  "1764583200",
  "Tue, 01 Dec 2026 10:00:00 GMT",
];

/** RFC 3339 and local date-times, valid and not. */
export const dateTimeText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: assembledDateTime },
  { weight: 3, arbitrary: fc.constantFrom(...MALFORMED_DATES) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 1, arbitrary: oddText(70) },
);

const VALID_ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "America/St_Johns",
  "Asia/Kathmandu",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "Pacific/Kiritimati",
  "Antarctica/Troll",
  "America/Argentina/Buenos_Aires",
  "Etc/GMT+12",
];
const ODD_ZONES = [
  "",
  "utc",
  "europe/berlin",
  "EUROPE/BERLIN",
  " UTC",
  "UTC ",
  "Europe/Berlin\u0000",
  "Europe/Berlín",
  "Europe\\Berlin",
  "Europe//Berlin",
  "../../etc/passwd",
  "Mars/Olympus_Mons",
  "+01:00",
  "-05:00",
  "Z",
  "GMT+1",
  "EST5EDT",
  "Etc/GMT+15",
  "US/Pacific-New",
  "Factory",
  "factory",
  "Etc/Unknown",
  "SystemV/AST4",
  "local",
  "\u202eUTC",
  "A".repeat(64),
  "A".repeat(65),
];

/** IANA names, case and spacing variants, offsets, junk. */
const timeZoneText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VALID_ZONES) },
  { weight: 3, arbitrary: fc.constantFrom(...ODD_ZONES) },
  { weight: 1, arbitrary: oddText(70) },
);

/** A start/end pair that is valid on its own (the zone may still be hostile). */
const validTimes = fc
  .record({
    start: fc.date({
      min: new Date("2026-01-01T00:00:00Z"),
      max: new Date("2030-12-31T00:00:00Z"),
      noInvalidDate: true,
    }),
    minutes: fc.integer({ min: 1, max: 600 }),
    zone: fc.constantFrom(undefined, ...VALID_ZONES),
    local: fc.boolean(),
  })
  .map(({ start, minutes, zone, local }) => {
    const at = (d: Date) => {
      const iso = new Date(Math.floor(d.getTime() / 60_000) * 60_000).toISOString().slice(0, 19);
      return local ? iso : `${iso}Z`;
    };
    return {
      start_time: at(start),
      end_time: at(new Date(start.getTime() + minutes * 60_000)),
      ...(zone ? { time_zone: zone } : {}),
    };
  });

/** Well-formed pairs at the calendar's edges: years 0–99, 1900, 1970, 2038, 9998–9999, extreme offsets. */
const edgeTimes = fc
  .record({
    year: fc.constantFrom(0, 1, 99, 100, 1000, 1899, 1900, 1901, 1969, 1970, 2038, 9997, 9998, 9999),
    late: fc.boolean(),
    offset: fc.constantFrom("Z", "+14:00", "-12:00", "", "+00:00"),
    zone: fc.constantFrom(undefined, "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu"),
  })
  .map(({ year, late, offset, zone }) => {
    const day = `${pad(year, 4)}-${late ? "12-31" : "01-01"}`;
    return {
      start_time: `${day}T${late ? "22" : "00"}:00:00${offset}`,
      end_time: `${day}T${late ? "23" : "01"}:00:00${offset}`,
      ...(zone ? { time_zone: zone } : {}),
    };
  });

const ODD_ADDRESSES = [
  "",
  "a",
  "a@",
  "@example.com",
  "a@b",
  "a@@example.com",
  "a b@example.com",
  "<a@example.com>",
  "a@example.com, b@example.com",
  "a@example.com\r\nBcc: victim@example.com",
  "a@example.com\u0000",
  "\u202emoc.elpmaxe@a",
  "用户@例子.广告",
  "a@xn--80ak6aa92e.com",
  "a@[127.0.0.1]",
  '"a b"@example.com',
  "a..b@example.com",
  ".a@example.com",
  `${"a".repeat(64)}@example.com`,
  `${"a".repeat(250)}@example.com`,
];

/** Participant addresses, plausible and not. */
const addressText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("ada@example.com", "Grace@Example.COM", "linus@example.org") },
  { weight: 2, arbitrary: fc.emailAddress() },
  { weight: 3, arbitrary: fc.constantFrom(...ODD_ADDRESSES) },
  { weight: 1, arbitrary: oddText(40) },
);

const validParticipants = fc.array(
  fc.constantFrom("ada@example.com", "Grace@Example.COM", "linus@example.org"),
  {
    minLength: 1,
    maxLength: 3,
  },
);

const participantsValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: validParticipants },
  { weight: 3, arbitrary: fc.array(addressText, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom([], [[]], [null], ["ada@example.com", 1]) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 101, max: 3_000 })
      .map((n) => Array.from({ length: n }, (_, i) => `p${i}@example.com`)),
  },
  { weight: 1, arbitrary: wrongType },
);

// ---------------------------------------------------------------------------------------------------------
// Event bodies

/** Marks a key left out of a generated object. */
const ABSENT = Symbol("absent");
type Maybe<T> = T | typeof ABSENT;
const maybe = <T>(
  present: fc.Arbitrary<T>,
  absentWeight: number,
  presentWeight = 10,
): fc.Arbitrary<Maybe<T>> =>
  fc.oneof(
    { weight: absentWeight, arbitrary: fc.constant(ABSENT) },
    { weight: presentWeight, arbitrary: present },
  );
function withoutAbsent(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ABSENT));
}

const summaryValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("Planning", "Retro 🚀", "Quarterly review", "\u202eevil", "x") },
  { weight: 2, arbitrary: oddText(40) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>("", "   ", "\t\n", { $huge: "a", times: 1025 }) },
  { weight: 1, arbitrary: wrongType },
);
const textOrNullValue = (max: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(null, "Room 1", "Bring notes") },
    { weight: 2, arbitrary: oddText(60) },
    { weight: 1, arbitrary: fc.constant({ $huge: "a", times: max + 1 }) },
    { weight: 1, arbitrary: wrongType },
  );
const conferenceValue = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom("google_meet", null) },
  { weight: 1, arbitrary: fc.constantFrom("zoom", "GOOGLE_MEET", "google_meet ", "", "hangoutsMeet") },
  { weight: 1, arbitrary: wrongType },
);
// Valid times are kept a minority: with every other field valid they make a create that reaches Google.
const timesValue = fc.oneof(
  { weight: 1, arbitrary: validTimes.map((t) => t as Record<string, unknown>) },
  { weight: 1, arbitrary: edgeTimes.map((t) => t as Record<string, unknown>) },
  {
    weight: 6,
    arbitrary: fc
      .record({
        start_time: maybe(fc.oneof({ weight: 5, arbitrary: dateTimeText }, wrongType), 1),
        end_time: maybe(fc.oneof({ weight: 5, arbitrary: dateTimeText }, wrongType), 1),
        time_zone: maybe(fc.oneof({ weight: 5, arbitrary: timeZoneText }, wrongType), 3),
      })
      .map(withoutAbsent),
  },
);
const extraKeys = fc.oneof(
  { weight: 12, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.oneof(oddText(10), fc.constantFrom("id", "status", "__proto__", "constructor")),
      wrongType,
      {
        minKeys: 1,
        maxKeys: 3,
      },
    ),
  },
);

/** Objects shaped like a create body: each field valid, missing, wrong type or hostile. */
export const createBodyValue: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record({
      participants: maybe(participantsValue, 1, 15),
      summary: maybe(summaryValue, 4),
      description: maybe(textOrNullValue(8192), 6),
      location: maybe(textOrNullValue(1024), 6),
      conference: maybe(conferenceValue, 8),
    }),
    timesValue,
    extraKeys,
  )
  .map(([fields, times, extra]) => ({ ...withoutAbsent(fields), ...times, ...extra }));

/** Objects shaped like a PATCH body: any subset of the create fields, or none. */
export const patchBodyValue: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record({
      participants: maybe(participantsValue, 10),
      summary: maybe(summaryValue, 6),
      description: maybe(textOrNullValue(8192), 10),
      location: maybe(textOrNullValue(1024), 10),
      conference: maybe(conferenceValue, 12),
      start_time: maybe(fc.oneof({ weight: 5, arbitrary: dateTimeText }, wrongType), 10),
      end_time: maybe(fc.oneof({ weight: 5, arbitrary: dateTimeText }, wrongType), 10),
      time_zone: maybe(fc.oneof({ weight: 5, arbitrary: timeZoneText }, wrongType), 10),
    }),
    extraKeys,
  )
  .map(([fields, extra]) => ({ ...withoutAbsent(fields), ...extra }));

// ---------------------------------------------------------------------------------------------------------
// Bodies on the wire

/** A request body as generated: a value to serialise, raw text, raw bytes, or a size to blow past 64 KiB. */
export type BodySpec =
  | { kind: "json"; value: unknown }
  | { kind: "text"; text: string }
  | { kind: "bytes"; bytes: readonly number[] }
  | { kind: "oversized"; bytes: number; valid: boolean }
  | { kind: "nested"; depth: number };

/** Largest body the API accepts (src/http/validate.ts). */
export const MAX_BODY_BYTES = 64 * 1024;

const MALFORMED_JSON = [
  "",
  " ",
  "{",
  "}",
  "{}}",
  "{}{}",
  "[",
  "nul",
  "undefined",
  "NaN",
  "{'participants': []}",
  '{"participants": [],}',
  '{"participants": ["a@example.com"] // comment\n}',
  '{"summary": "\\ud800"}',
  '{"summary": "\\x00"}',
  '{"summary": "a\u0000b"}',
  '{"summary":"a","summary":1}',
  '{"__proto__": {"participants": ["ada@example.com"]}}',
  "\ufeff{}",
  "\ufeff\ufeff{}",
  "0x10",
  "1e999999",
  '"just a string"',
  "[1,2,3]",
  "true",
];

const utf8 = new TextEncoder();

/** Bytes that are not UTF-8 or not JSON: overlong forms, encoded surrogates, UTF-16, BOMs, random. */
const oddBytes = fc.oneof(
  fc.constantFrom(
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00],
    [0xef, 0xbb, 0xbf, 0x7b, 0x7d],
    [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d],
    [0x00],
  ),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }),
);

/** Bodies for JSON routes: mostly shaped like `shape`, otherwise anything at all. */
export const bodySpec = (shape: fc.Arbitrary<unknown>): fc.Arbitrary<BodySpec> =>
  fc.oneof(
    { weight: 60, arbitrary: shape.map((value) => ({ kind: "json" as const, value })) },
    {
      weight: 8,
      arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: "json" as const, value })),
    },
    {
      weight: 6,
      arbitrary: fc.constantFrom(...MALFORMED_JSON).map((text) => ({ kind: "text" as const, text })),
    },
    {
      weight: 5,
      arbitrary: fc.tuple(shape.map(toJsonText), fc.nat(), oddText(3)).map(([text, at, junk]) => ({
        kind: "text" as const,
        text: text.slice(0, at % (text.length + 1)) + junk,
      })),
    },
    { weight: 3, arbitrary: oddText(40).map((text) => ({ kind: "text" as const, text })) },
    { weight: 3, arbitrary: oddBytes.map((bytes) => ({ kind: "bytes" as const, bytes })) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("oversized" as const),
        bytes: fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES + 8_192 }),
        valid: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("oversized" as const),
        bytes: fc.integer({ min: MAX_BODY_BYTES - 4_096, max: MAX_BODY_BYTES }),
        valid: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1_000, max: 30_000 }).map((depth) => ({ kind: "nested" as const, depth })),
    },
  );

/** The bytes or text a BodySpec sends. */
export function bodyOf(spec: BodySpec): string | Uint8Array {
  switch (spec.kind) {
    case "json":
      return toJsonText(spec.value);
    case "text":
      return spec.text;
    case "bytes":
      return new Uint8Array(spec.bytes);
    case "nested":
      return `${"[".repeat(spec.depth)}${"]".repeat(spec.depth)}`;
    case "oversized": {
      // A JSON object (or, if not `valid`, almost one) of exactly `bytes` bytes.
      const head = '{"participants":["ada@example.com"],"description":"';
      const tail = spec.valid ? '"}' : '"';
      return `${head}${"d".repeat(Math.max(0, spec.bytes - head.length - tail.length))}${tail}`;
    }
  }
}

/** Whether a Content-Type header names JSON (`application/json` or a `+json` type), as the contract asks. */
export function isJsonMediaType(header: string | null): boolean {
  const type = (header ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type);
}

/** Byte length of what a BodySpec sends. */
export function bodyLength(spec: BodySpec): number {
  const body = bodyOf(spec);
  return typeof body === "string" ? utf8.encode(body).byteLength : body.byteLength;
}

/** Content types: JSON and its accepted variants mostly, then the wrong ones. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 30, arbitrary: fc.constant("application/json") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      " application/json ;charset=UTF-8",
      "application/merge-patch+json",
      "application/vnd.api+json",
      "application/json; charset=utf-16",
    ),
  },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined,
      "",
      "text/plain",
      "text/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonx",
      "application/json+xml",
      "application/xml",
      "application/json, text/plain",
      "*/*",
      "json",
    ),
  },
  { weight: 1, arbitrary: asciiText(30) },
);

// ---------------------------------------------------------------------------------------------------------
// Headers, auth, paths

/** How the Authorization header is formed; `token` is filled in with a real API token at run time. */
export type AuthSpec =
  | { use: "none" }
  | { use: "raw"; value: string }
  | { use: "token"; whose: "mine" | "other"; scheme: string; gap: string; before: string; after: string }
  | { use: "twice"; first: string; second: string };

const wellFormedTokenLike = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((t) => `cek_${t}`);

/**
 * Authorization headers: a real token (sometimes another account's), near misses, garbage, very long ones,
 * repeats. `nonAsciiWeight` adds tokens with non-ASCII characters (sent as UTF-8; workerd warns once for
 * each, so one auth-focused property carries them).
 */
export const authSpec = (validWeight = 45, nonAsciiWeight = 0): fc.Arbitrary<AuthSpec> =>
  fc.oneof(
    {
      weight: validWeight,
      arbitrary: fc.record({
        use: fc.constant("token" as const),
        whose: fc.oneof(
          { weight: 19, arbitrary: fc.constant("mine" as const) },
          fc.constant("other" as const),
        ),
        scheme: fc.oneof(
          { weight: 20, arbitrary: fc.constant("Bearer") },
          fc.constantFrom("bearer", "BEARER"),
        ),
        gap: fc.oneof({ weight: 20, arbitrary: fc.constant(" ") }, fc.constantFrom("  ", "\t")),
        before: fc.constant(""),
        after: fc.oneof({ weight: 20, arbitrary: fc.constant("") }, fc.constant(" ")),
      }),
    },
    { weight: 4, arbitrary: fc.constant({ use: "none" as const }) },
    {
      weight: 12,
      arbitrary: fc.record({
        use: fc.constant("token" as const),
        whose: fc.constant("mine" as const),
        scheme: fc.constantFrom("Bearer", "Basic", "Token", "Bearer:", "Bearer=", "", "MAC", "Bearer Bearer"),
        gap: fc.constantFrom(" ", "", ",", "  "),
        before: fc.constantFrom("", "x", " ", "cek_", "Bearer "),
        after: fc.constantFrom("", "x", "=", ",", ", Bearer x", "\u007f", ".", "/", "%00", " x"),
      }),
    },
    {
      weight: 12,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            "",
            "Bearer",
            "Bearer ",
            "Bearer\t",
            "bearer null",
            "Bearer undefined",
            "Basic dXNlcjpwYXNz",
          ),
          wellFormedTokenLike.map((t) => `Bearer ${t}`),
          asciiText(60).map((t) => `Bearer ${t}`),
          asciiText(60),
          fc.integer({ min: 1_000, max: 60_000 }).map((n) => `Bearer cek_${"A".repeat(n)}`),
        )
        .map((value) => ({ use: "raw" as const, value })),
    },
    ...(nonAsciiWeight > 0
      ? [
          {
            weight: nonAsciiWeight,
            arbitrary: fc
              .oneof(oddText(40), fc.constantFrom("cek_é", "🔑", "\u202ecek_", "cek_\u0085"))
              .map((value): AuthSpec => ({ use: "raw", value: `Bearer ${value}` })),
          },
        ]
      : []),
    {
      weight: 3,
      arbitrary: fc.record({
        use: fc.constant("twice" as const),
        // No empty values: on the wire an empty repeat vanishes, so the Worker would see one header.
        first: fc.constantFrom("mine", "Bearer x", "Bearer"),
        second: fc.constantFrom("mine", "Bearer x", "Bearer"),
      }),
    },
  );

/** Extra headers nobody asked for: odd Accept, cookies, request ids, overrides, forwarding, many of them. */
export const noiseHeaders: fc.Arbitrary<[string, string][]> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<[string, string][]>([]) },
  {
    weight: 4,
    arbitrary: fc.array(
      fc.oneof(
        fc.tuple(
          fc.constant("accept"),
          fc.constantFrom(
            "application/json",
            "text/html",
            "*/*",
            "application/problem+json",
            "image/png",
            "",
            "text/html, application/json",
          ),
        ),
        fc.tuple(
          fc.constant("cookie"),
          fc.oneof(asciiText(40), fc.constant("__Host-calendar_edge_oauth=x; a=b")),
        ),
        fc.tuple(fc.constant("x-request-id"), fc.oneof(asciiText(40), fc.constant("a".repeat(300)))),
        fc.tuple(
          fc.constantFrom("x-http-method-override", "x-method-override"),
          fc.constantFrom("DELETE", "PATCH", "GET"),
        ),
        fc.tuple(
          fc.constantFrom("x-forwarded-for", "x-forwarded-host", "forwarded", "origin", "referer"),
          asciiText(30),
        ),
        fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), asciiText(30)),
      ),
      { maxLength: 4 },
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 20, max: 120 })
      .map((n) => Array.from({ length: n }, (_, i) => [`x-noise-${i}`, "v".repeat(i)] as [string, string])),
  },
);

/**
 * An id for /api/events/:id. `$own` / `$foreign` stand for a real event of the caller / of another account,
 * `$OWN` for the caller's id upper-cased; the rest are path tricks, unicode and very long ids.
 */
export const eventIdText = (ownWeight = 6): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: ownWeight, arbitrary: fc.constant("$own") },
    { weight: 2, arbitrary: fc.constant("$foreign") },
    { weight: 2, arbitrary: fc.uuid() },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        "..",
        "%2e%2e",
        "%2F",
        "..%2F..%2Fhealth",
        "%00",
        "%",
        "%ZZ",
        "%E0%A4%A",
        "%FF%FE",
        "' OR '1'='1",
        "1; DROP TABLE events",
        "null",
        "undefined",
        "*",
        "$own/extra",
        "$own%2F",
        "$own%00",
        "$own;x",
        "$own%20",
        "$own.json",
        "$OWN",
        " $own",
      ),
    },
    { weight: 3, arbitrary: oddText(40).map(encodeURIComponentLoose) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 16_000 }).map((n) => "i".repeat(n)) },
  );

/** Puts real ids in place of the `$own`, `$OWN` and `$foreign` placeholders of `eventIdText`. */
export function withEventIds(text: string, ids: { own: string; foreign: string }): string {
  return text
    .replaceAll("$own", ids.own)
    .replaceAll("$OWN", ids.own.toUpperCase())
    .replaceAll("$foreign", ids.foreign);
}

/** Percent-encodes, but leaves what cannot be encoded (lone surrogates) as `%uD800` garbage. */
export function encodeURIComponentLoose(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text
      .replace(/[\ud800-\udfff]/g, (c) => `%u${c.charCodeAt(0).toString(16)}`)
      .replace(/[^\x21-\x7e]/g, "_");
  }
}

/** A query string built from keys and values that are hostile, repeated or malformed in encoding. */
export const queryString = (keys: string[], value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...keys) }, oddText(8)),
        value,
        fc.constantFrom("encode", "encode", "raw"),
      ),
      { maxLength: 5 },
    )
    .map((pairs) =>
      pairs
        .map(([k, v, how]) =>
          how === "raw"
            ? `${k}=${v}`.replace(/[#\s]/g, "+")
            : `${encodeURIComponentLoose(k)}=${encodeURIComponentLoose(v)}`,
        )
        .join("&"),
    );

/** Methods workerd accepts: the usual ones, WebDAV ones, and lowercase spellings. */
export const ANY_METHOD = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "TRACE",
  "PURGE",
  "PROPFIND",
  "MKCOL",
  "QUERY",
  "patch",
  "get",
  "Post",
];

// ---------------------------------------------------------------------------------------------------------
// Sending

/** One request as a case builds it; `toRequest` turns it into a Request. */
export interface HostileRequest {
  method: string;
  /** Path and query, appended to the test origin as written (the URL parser still normalises it). */
  target: string;
  headers: [string, string][];
  body?: string | Uint8Array;
}

/**
 * Builds the Request, never following redirects. Header values go as given (workerd sends non-ASCII as
 * UTF-8), less NUL, CR and LF, which no HTTP client can put in a header.
 */
export function toRequest(req: HostileRequest): Request {
  const headers = new Headers();
  for (const [name, value] of req.headers) headers.append(name, value.replace(/[\0\r\n]/g, ""));
  const hasBody =
    req.body !== undefined && req.method.toUpperCase() !== "GET" && req.method.toUpperCase() !== "HEAD";
  return new Request(`${TEST_ORIGIN}${req.target}`, {
    method: req.method,
    headers,
    // A redirect is an answer to check, not a link to follow (to Google's consent page).
    redirect: "manual",
    ...(hasBody ? { body: req.body } : {}),
  });
}

/** Sends a hostile request to the Worker's real HTTP surface. */
export function send(req: HostileRequest | Request): Promise<Response> {
  return exports.default.fetch(req instanceof Request ? req : toRequest(req));
}

/** The Authorization header value for a spec, given the tokens to use. */
function authorizationOf(spec: AuthSpec, tokens: { mine: string; other: string }): string | undefined {
  switch (spec.use) {
    case "none":
      return undefined;
    case "raw":
      return spec.value;
    case "token":
      return `${spec.scheme}${spec.gap}${spec.before}${tokens[spec.whose]}${spec.after}`;
    case "twice":
      return undefined;
  }
}

/** Adds the Authorization header(s) of a spec to a header list. */
export function withAuth(
  headers: [string, string][],
  spec: AuthSpec,
  tokens: { mine: string; other: string },
): [string, string][] {
  if (spec.use === "twice") {
    const one = (v: string) => (v === "mine" ? `Bearer ${tokens.mine}` : v);
    return [...headers, ["authorization", one(spec.first)], ["authorization", one(spec.second)]];
  }
  const value = authorizationOf(spec, tokens);
  return value === undefined ? headers : [...headers, ["authorization", value]];
}

/** Which known token, if any, the request presents in a form the contract accepts (`Bearer <token>`). */
export function presentedToken<T extends SignedIn>(request: Request, known: Map<string, T>): T | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get("authorization") ?? "");
  return match ? known.get(match[1]!) : undefined;
}

/** Setup for the item routes: one event of its own (the previous account's is the foreign one). */
export async function oneEventEach(user: SignedIn): Promise<{ eventId: string }> {
  const { res, event } = await createEvent(user.token, { summary: "Hostile target" });
  if (res.status !== 201) throw new Error(`setup create answered ${res.status}`);
  return { eventId: event.id };
}

/** Where a request to /api/events/… lands once the URL parser has normalised it, and on whose event. */
export function eventsTarget(request: Request, caller: (SignedIn & { eventId?: string }) | undefined) {
  const path = new URL(request.url).pathname;
  // strict: false ignores one trailing slash.
  const segments = path.replace(/\/$/, "").split("/").slice(1);
  const isItem =
    segments.length === 3 && segments[0] === "api" && segments[1] === "events" && segments[2] !== "";
  let id: string | undefined;
  try {
    id = isItem ? decodeURIComponent(segments[2]!) : undefined;
  } catch {
    id = segments[2];
  }
  return {
    underEvents: path === "/api/events" || path.startsWith("/api/events/"),
    isCollection: path === "/api/events" || path === "/api/events/",
    isItem,
    isOwn: isItem && caller?.eventId !== undefined && id === caller.eventId,
  };
}

// ---------------------------------------------------------------------------------------------------------
// What every answer must look like

type Expect = typeof import("vitest").expect;

export interface Answer {
  status: number;
  code: string | undefined;
  contentType: string;
  json: Record<string, unknown> | undefined;
  text: string;
}

const CODES = Object.keys(PROBLEM_CODES);

/** A HEAD answer has no body: its code is known only where one code alone has its status (401, 404, 429). */
function codeOfStatus(status: number): string | undefined {
  const codes = Object.entries(PROBLEM_CODES).filter(([, p]) => p.status === status);
  return codes.length === 1 ? codes[0]![0] : undefined;
}

/**
 * Reads an answer and checks the invariant: below 500, and every non-2xx/3xx answer is problem+json with a
 * code from PROBLEM_CODES and `status` equal to the HTTP status (HEAD answers carry no body to check).
 * `htmlErrors` allows the OAuth callback's error page for browsers.
 */
export async function readAnswer(
  expect: Expect,
  res: Response,
  context: { method: string; htmlErrors?: boolean; allowedServerError?: string },
): Promise<Answer> {
  const contentType = res.headers.get("content-type") ?? "";
  const text = await res.text();
  const where = `${res.status} ${contentType} ${text.slice(0, 300)}`;
  let json: Record<string, unknown> | undefined;
  if (contentType.includes("json") && text !== "") {
    json = JSON.parse(text) as Record<string, unknown>;
  }
  const head = context.method.toUpperCase() === "HEAD";
  if (res.status >= 400) {
    if (context.htmlErrors && contentType.startsWith("text/html")) {
      const code = /id="error-code">([a-z_]+)</.exec(text)?.[1];
      expect(CODES, where).toContain(code);
      if (!context.allowedServerError || code !== context.allowedServerError)
        expect(res.status, where).toBeLessThan(500);
      return { status: res.status, code, contentType, json, text };
    }
    if (!context.allowedServerError || json?.code !== context.allowedServerError)
      expect(res.status, where).toBeLessThan(500);
    expect(contentType, where).toBe("application/problem+json");
    if (head) return { status: res.status, code: codeOfStatus(res.status), contentType, json, text };
    expect(json, where).toMatchObject({
      status: res.status,
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(CODES, where).toContain(json!.code);
    expect(json!.type, where).toBe(`https://calendar-edge.dev/problems/${json!.code}`);
    if (json!.code === "validation_failed" && json!.errors !== undefined) {
      expect(json!.errors, where).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: expect.any(String), message: expect.any(String) }),
        ]),
      );
    }
    if (res.status === 401) expect(res.headers.get("www-authenticate"), where).toMatch(/^Bearer\b/);
    if (res.status === 429) expect(res.headers.get("retry-after"), where).toMatch(/^\d+$/);
    return { status: res.status, code: json!.code as string, contentType, json, text };
  }
  expect(res.status, where).toBeLessThan(500);
  return { status: res.status, code: undefined, contentType, json, text };
}

/** One line for a failure report: the request as sent and what came back. */
export function describeCase(request: Request, answer: Answer): string {
  return `${request.method} ${request.url.slice(0, 160)} → ${answer.status} ${answer.code ?? ""}`;
}

/** Counts answers by where they were decided: authentication, the rate limiter, or the route itself. */
export class Tally {
  readonly byCode = new Map<string, number>();
  total = 0;
  add(answer: Answer): void {
    this.total++;
    const key = answer.code ?? String(answer.status);
    this.byCode.set(key, (this.byCode.get(key) ?? 0) + 1);
  }
  count(...keys: string[]): number {
    return keys.reduce((sum, key) => sum + (this.byCode.get(key) ?? 0), 0);
  }
  /** Answers not decided by authentication or rate limiting. */
  get reachedRoute(): number {
    return this.total - this.count("unauthorized", "rate_limited");
  }
  /** Most cases got past authentication to the route's own checks, and the rate limiter stayed rare. */
  expectMostlyReachedRoute(expect: Expect): void {
    expect(this.count("rate_limited"), this.toString()).toBeLessThan(this.total * 0.05);
    expect(this.reachedRoute, this.toString()).toBeGreaterThan(this.total / 2);
  }
  toString(): string {
    return JSON.stringify(Object.fromEntries([...this.byCode].sort((a, b) => b[1] - a[1])));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Nothing written unless valid

interface Snapshot {
  events: Map<string, string>;
  outbox: number;
  kv: Map<string, number | undefined>;
  grants: Map<string, string | null>;
  calls: Map<string, number>;
}

/**
 * Watches D1 (`events` with their participants and mail, `outbox`), every KV key, the tracked accounts'
 * grants and their calls at the Google emulator. Between two `verify()` calls, only what `allow…` declared
 * (because a request was valid and answered 2xx) may change. Storage is per test file, so all of it is ours.
 */
export class WriteWatch {
  private base: Snapshot | undefined;
  private readonly tracked = new Map<string, SignedIn>();
  private allowedEvents = new Set<string>();
  private allowedCalls = new Map<string, number>();
  private allowedKvAdds: string[] = [];
  private allowedKvRemoves = new Set<string>();
  private changed = false;
  private since = 0;
  /** The cases since the last verify, so a failure names every request that could have written. */
  private window: string[] = [];
  /** Accounts whose events must each have exactly one Google event. */
  private readonly creators = new Set<string>();

  /** Follows an account's grant and emulator calls from the next baseline on. */
  track(user: SignedIn): void {
    this.tracked.set(user.email, user);
  }

  untrack(user: SignedIn): void {
    this.tracked.delete(user.email);
  }

  async baseline(): Promise<void> {
    this.base = await this.snapshot();
    this.allowedEvents = new Set();
    this.allowedCalls = new Map();
    this.allowedKvAdds = [];
    this.allowedKvRemoves = new Set();
    this.changed = false;
    this.since = 0;
    this.window = [];
  }

  /** A valid request may have written this event (and its mail) and called Google up to `calls` times. */
  allowEventWrite(user: SignedIn, eventId: string, calls: number): void {
    this.allowedEvents.add(eventId);
    this.allowCalls(user, calls);
    this.creators.add(user.email);
    this.changed = true;
  }

  allowCalls(user: SignedIn, calls: number): void {
    this.allowedCalls.set(user.email, (this.allowedCalls.get(user.email) ?? 0) + calls);
  }

  /** A KV key may appear: an exact name, or a prefix ending in ':' for a name the test cannot see. */
  allowKvAdd(nameOrPrefix: string): void {
    this.allowedKvAdds.push(nameOrPrefix);
  }

  allowKvRemove(name: string): void {
    this.allowedKvRemoves.add(name);
  }

  /** Counts a case (`summary` names it in a failure report); verifies every `every` cases and after writes. */
  async afterCase(every: number, summary = ""): Promise<void> {
    this.since++;
    this.window.push(summary);
    if (this.changed || this.since >= every) await this.verify();
  }

  /**
   * Compares storage with the baseline and what was allowed since, then takes a new baseline. `full` also
   * checks every tracked account's events against Google (otherwise only the accounts that just wrote).
   */
  async verify(full = false): Promise<void> {
    const before = this.base;
    if (!before) throw new Error("WriteWatch.verify() before baseline()");
    const after = await this.snapshot();
    const problems: string[] = [];

    for (const id of new Set([...before.events.keys(), ...after.events.keys()])) {
      if (before.events.get(id) !== after.events.get(id) && !this.allowedEvents.has(id)) {
        problems.push(
          `D1 event ${id}: ${before.events.get(id) ?? "(none)"} → ${after.events.get(id) ?? "(gone)"}`,
        );
      }
    }
    const mails = [...after.events.values()].reduce((sum, row) => sum + Number(row.split("|")[4]), 0);
    if (after.outbox !== mails) problems.push(`outbox has ${after.outbox} rows, events account for ${mails}`);

    // New keys: each must be one the valid requests named, or else fill one of their unnamed (prefix) slots.
    const exact = new Set(this.allowedKvAdds.filter((a) => !a.endsWith(":")));
    const prefixes = this.allowedKvAdds.filter((a) => a.endsWith(":"));
    const unexplained = [...after.kv.keys()]
      .filter((key) => !before.kv.has(key) && !exact.has(key))
      .filter((key) => {
        const i = prefixes.findIndex((prefix) => key.startsWith(prefix));
        if (i !== -1) prefixes.splice(i, 1);
        return i === -1;
      });
    if (unexplained.length > 0) problems.push(`new KV keys: ${unexplained.slice(0, 5).join(", ")}`);
    const missing = [...exact].filter((key) => !after.kv.has(key) && !this.allowedKvRemoves.has(key));
    if (missing.length > 0) problems.push(`expected KV keys missing: ${missing.join(", ")}`);
    const removed = [...before.kv.keys()].filter((k) => !after.kv.has(k) && !this.allowedKvRemoves.has(k));
    if (removed.length > 0) problems.push(`KV keys removed: ${removed.slice(0, 5).join(", ")}`);
    for (const [key, expiration] of after.kv) {
      if (before.kv.has(key) && before.kv.get(key) !== expiration) problems.push(`KV key ${key} rewritten`);
    }
    for (const [id, value] of after.grants) {
      const user = [...this.tracked.values()].find((u) => u.accountId === id);
      const mayChange = user && (this.allowedCalls.get(user.email) ?? 0) > 0;
      if (before.grants.has(id) && before.grants.get(id) !== value && !mayChange)
        problems.push(`grant ${id} rewritten`);
    }
    for (const [email, count] of after.calls) {
      const was = before.calls.get(email);
      if (was === undefined) continue;
      const allowed = this.allowedCalls.get(email) ?? 0;
      if (count - was > allowed || (allowed === 0 && count !== was)) {
        problems.push(`${count - was} Google call(s) for ${email}, ${allowed} allowed`);
      }
    }
    for (const email of this.creators) {
      const user = this.tracked.get(email);
      if (user && (full || this.allowedCalls.has(email)))
        problems.push(...(await oneGoogleEventPerRow(user)));
    }
    if (problems.length > 0) {
      const cases = this.window.map((c, i) => `${i + 1}. ${c}`).join("\n  ");
      // Re-baseline so a shrinking run is judged on its own writes, not on this one's.
      await this.baseline();
      throw new Error(
        `written without a valid request:\n  ${problems.join("\n  ")}\nin these cases:\n  ${cases}`,
      );
    }
    this.base = after;
    this.allowedEvents = new Set();
    this.allowedCalls = new Map();
    this.allowedKvAdds = [];
    this.allowedKvRemoves = new Set();
    this.changed = false;
    this.since = 0;
    this.window = [];
  }

  private async snapshot(): Promise<Snapshot> {
    const users = [...this.tracked.values()];
    const [rows, kv, grants, calls] = await Promise.all([
      env.DB.batch<Record<string, unknown>>([
        env.DB.prepare(
          `SELECT e.id, e.status || '|' || e.sequence || '|' || coalesce(e.pending_op, '') || '|' ||
             e.updated_at || '|' || (SELECT count(*) FROM outbox o WHERE o.event_id = e.id) || '|' ||
             (SELECT count(*) FROM participants p WHERE p.event_id = e.id) || '|' || e.google_event_id AS row
           FROM events e`,
        ),
        env.DB.prepare("SELECT count(*) AS n FROM outbox"),
      ]),
      listKv(),
      Promise.all(
        users.map(async (u) => [u.accountId, await env.TOKENS.get(`grant:${u.accountId}`)] as const),
      ),
      Promise.all(users.map(async (u) => [u.email, (await callsOf(u.email)).length] as const)),
    ]);
    return {
      events: new Map(rows[0]!.results.map((r) => [String(r.id), String(r.row)])),
      outbox: Number(rows[1]!.results[0]!.n),
      kv,
      grants: new Map(grants),
      calls: new Map(calls),
    };
  }
}

async function listKv(): Promise<Map<string, number | undefined>> {
  const keys = new Map<string, number | undefined>();
  let cursor: string | undefined;
  do {
    const page = await env.TOKENS.list(cursor ? { cursor } : {});
    for (const key of page.keys) keys.set(key.name, key.expiration);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return keys;
}

/** Every D1 event of the account has exactly one Google event, and Google has no others. */
async function oneGoogleEventPerRow(user: SignedIn): Promise<string[]> {
  const [rows, google] = await Promise.all([
    env.DB.prepare("SELECT google_event_id FROM events WHERE account_id = ?")
      .bind(user.accountId)
      .all<{ google_event_id: string }>(),
    googleEventsOf(user.email),
  ]);
  const mine = rows.results.map((r) => r.google_event_id).sort();
  const theirs = google.map((g) => g.id).sort();
  return JSON.stringify(mine) === JSON.stringify(theirs)
    ? []
    : [`${user.email}: D1 holds Google ids ${JSON.stringify(mine)}, Google holds ${JSON.stringify(theirs)}`];
}

// ---------------------------------------------------------------------------------------------------------
// Tokens that stay under the rate limit

/**
 * The per-token budget is 120 requests / 60 s. A token is retired before it, leaving room for its use as the
 * "other" token afterwards (1 case in 20) and for its account's setup requests.
 */
const REQUESTS_PER_TOKEN = 100;

/**
 * Hands out API tokens: `mine` is retired after REQUESTS_PER_TOKEN authenticated requests and becomes
 * `other` (another account's valid token). Each new account gets `setup` run for it (e.g. an event).
 */
export class Callers<Extra> {
  mine!: SignedIn & Extra;
  other!: SignedIn & Extra;
  private uses = 0;
  readonly known = new Map<string, SignedIn & Extra>();

  constructor(
    private readonly watch: WriteWatch,
    private readonly setup: (user: SignedIn) => Promise<Extra>,
  ) {}

  async start(): Promise<void> {
    this.other = await this.fresh();
    this.mine = await this.fresh();
    this.watch.track(this.other);
    this.watch.track(this.mine);
    await this.watch.baseline();
  }

  /** Call before a request that presents a valid token: retires `mine` when its budget is spent. */
  async spend(): Promise<void> {
    if (++this.uses <= REQUESTS_PER_TOKEN) return;
    await this.watch.verify(true);
    this.watch.untrack(this.other);
    this.other = this.mine;
    this.mine = await this.fresh();
    this.watch.track(this.mine);
    await this.watch.baseline();
    this.uses = 1;
  }

  tokens(): { mine: string; other: string } {
    return { mine: this.mine.token, other: this.other.token };
  }

  private async fresh(): Promise<SignedIn & Extra> {
    const user = await signIn();
    const full = { ...user, ...(await this.setup(user)) };
    this.known.set(user.token, full);
    return full;
  }
}
