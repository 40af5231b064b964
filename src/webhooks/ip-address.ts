// Which IP addresses a webhook may be sent to. Only public unicast addresses: anything that reaches this
// deployment's own network, a cloud metadata service, a LAN or a special-purpose range is refused. The
// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are left alone: they
// are routed nowhere, so they reach nothing internal, and tests use them as stand-ins for public hosts.

/** The kind of a refused address, as named in refusals (`detail`) and delivery errors. */
export type BlockedAddressKind =
  | "unspecified"
  | "loopback"
  | "private"
  | "carrier-grade NAT"
  | "link-local"
  | "cloud metadata"
  | "multicast"
  | "reserved";

type Range4 = readonly [base: number, prefix: number, kind: BlockedAddressKind];

// First match wins: the metadata addresses come before the ranges that contain them.
const BLOCKED_V4: readonly Range4[] = [
  [v4(169, 254, 169, 254), 32, "cloud metadata"],
  [v4(0, 0, 0, 0), 8, "unspecified"],
  [v4(10, 0, 0, 0), 8, "private"],
  // Also Alibaba Cloud's metadata service, 100.100.100.200.
  [v4(100, 64, 0, 0), 10, "carrier-grade NAT"],
  [v4(127, 0, 0, 0), 8, "loopback"],
  [v4(169, 254, 0, 0), 16, "link-local"],
  [v4(172, 16, 0, 0), 12, "private"],
  // IETF protocol assignments; Oracle Cloud's metadata service is 192.0.0.192.
  [v4(192, 0, 0, 0), 24, "reserved"],
  [v4(192, 168, 0, 0), 16, "private"],
  [v4(198, 18, 0, 0), 15, "reserved"],
  [v4(224, 0, 0, 0), 4, "multicast"],
  // Class E and the broadcast address.
  [v4(240, 0, 0, 0), 4, "reserved"],
];

/**
 * Why `address` (an IPv4 dotted quad or an IPv6 address, brackets and zone allowed) must not receive a
 * webhook, or null when it is a public unicast address. Text that is no IP address at all is "reserved".
 */
export function blockedAddressKind(address: string): BlockedAddressKind | null {
  const ipv4 = parseIpv4(address);
  if (ipv4 !== null) return classifyIpv4(ipv4);
  const ipv6 = parseIpv6(address);
  return ipv6 === null ? "reserved" : classifyIpv6(ipv6);
}

/** Whether `text` is an IP address literal (IPv4 dotted quad, or IPv6 with or without brackets). */
export function isIpLiteral(text: string): boolean {
  return parseIpv4(text) !== null || parseIpv6(text) !== null;
}

function classifyIpv4(address: number): BlockedAddressKind | null {
  for (const [base, prefix, kind] of BLOCKED_V4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if ((address & mask) >>> 0 === base) return kind;
  }
  return null;
}

function classifyIpv6(words: readonly number[]): BlockedAddressKind | null {
  const [w0, w1, w2, w3, w4, w5, w6, w7] = words as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const embedded = ((w6 << 16) | w7) >>> 0;
  const zeroUpTo = (n: number) => words.slice(0, n).every((w) => w === 0);
  if (zeroUpTo(7) && w7 === 0) return "unspecified";
  if (zeroUpTo(7) && w7 === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-translated (::ffff:0:a.b.c.d): judged as the IPv4 address.
  if (zeroUpTo(5) && w5 === 0xffff) return classifyIpv4(embedded);
  if (zeroUpTo(4) && w4 === 0xffff && w5 === 0) return classifyIpv4(embedded);
  // IPv4-compatible (::a.b.c.d), deprecated: nothing legitimate uses it.
  if (zeroUpTo(6)) return "reserved";
  // NAT64 well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address; 64:ff9b:1::/48 is local use.
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    return classifyIpv4(embedded);
  }
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 1) return "private";
  // 6to4 (2002::/16) carries an IPv4 address in bits 16-47.
  if (w0 === 0x2002) return classifyIpv4(((w1 << 16) | w2) >>> 0);
  // AWS's IPv6 metadata service, fd00:ec2::254, inside the unique-local range.
  if (words.join(":") === [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254].join(":")) return "cloud metadata";
  if ((w0 & 0xfe00) === 0xfc00) return "private";
  if ((w0 & 0xffc0) === 0xfe80) return "link-local";
  // Site-local (deprecated): private by definition.
  if ((w0 & 0xffc0) === 0xfec0) return "private";
  if ((w0 & 0xff00) === 0xff00) return "multicast";
  // Teredo (2001::/32) hides its IPv4 address; ORCHID (2001:10::/28, 2001:20::/28) is not routable.
  if (w0 === 0x2001 && w1 === 0) return "reserved";
  if (w0 === 0x2001 && (w1 & 0xfff0) === 0x10) return "reserved";
  if (w0 === 0x2001 && (w1 & 0xfff0) === 0x20) return "reserved";
  // Global unicast is 2000::/3; everything outside it (discard-only 100::/64 included) is special.
  if ((w0 & 0xe000) !== 0x2000) return "reserved";
  return null;
}

/** A dotted-quad IPv4 address as a 32-bit number, or null. */
function parseIpv4(text: string): number | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return null;
  const parts = match.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return v4(parts[0]!, parts[1]!, parts[2]!, parts[3]!);
}

/** An IPv6 address as eight 16-bit words, or null. Accepts brackets, `::`, a zone id and a dotted tail. */
function parseIpv6(text: string): number[] | null {
  let rest = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = rest.indexOf("%");
  if (zone !== -1) rest = rest.slice(0, zone);
  if (!rest.includes(":") || !/^[0-9a-fA-F:.]+$/.test(rest)) return null;
  let tail: number[] = [];
  const lastColon = rest.lastIndexOf(":");
  const last = rest.slice(lastColon + 1);
  if (last.includes(".")) {
    // A dotted IPv4 tail stands for the last two words.
    const ipv4 = parseIpv4(last);
    if (ipv4 === null) return null;
    tail = [ipv4 >>> 16, ipv4 & 0xffff];
    rest = rest.slice(0, lastColon + 1);
    if (!rest.endsWith("::")) rest = rest.slice(0, -1);
  }
  const halves = rest.split("::");
  if (halves.length > 2) return null;
  const words = (half: string) => (half === "" ? [] : half.split(":"));
  const head = words(halves[0]!);
  const back = halves.length === 2 ? words(halves[1]!) : [];
  if ([...head, ...back].some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w))) return null;
  const given = head.length + back.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const zeros = new Array<number>(8 - given).fill(0);
  return [
    ...head.map((w) => Number.parseInt(w, 16)),
    ...(halves.length === 2 ? zeros : []),
    ...back.map((w) => Number.parseInt(w, 16)),
    ...tail,
  ];
}

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}
