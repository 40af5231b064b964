// Hostile HTTP input for test/hostile/: fast-check arbitraries for text, dates, zones, addresses, event
// bodies, bodies on the wire, headers, auth, ids, queries and methods (test/support/hostile.ts runs them).
import fc from "fast-check";

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

/** A method that is `preferred` 30 times in 30 + 1, otherwise one of `others` (each as likely). */
export const mostlyMethod = (preferred: string, ...others: string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 30, arbitrary: fc.constant(preferred) }, fc.constantFrom(...others));

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
