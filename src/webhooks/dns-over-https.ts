import * as z from "zod/mini";

// Where a webhook host points, asked of a DNS-over-HTTPS resolver in its JSON dialect (Cloudflare's and
// Google's `application/dns-json`: GET ?name=&type=). Workers have no resolver API of their own.

/** The resolver's answer for both record types: every address, or why it could not be had. */
export type Resolution = { ok: true; addresses: string[] } | { ok: false; error: string };

const RESOLVE_TIMEOUT_MS = 5_000;
const TYPE_A = 1;
const TYPE_AAAA = 28;
/** RFC 1035 RCODEs: NOERROR and NXDOMAIN are answers; anything else (SERVFAIL, REFUSED) is a failure. */
const NOERROR = 0;
const NXDOMAIN = 3;

const DnsJsonSchema = z.lazy(() =>
  z.object({
    Status: z.number().check(z.int()),
    Answer: z.optional(z.array(z.object({ type: z.number().check(z.int()), data: z.string() }))),
  }),
);

/**
 * The A and AAAA addresses of `host` (an empty list when the name does not exist or has none). CNAME
 * chains are followed by the resolver; only the final addresses count.
 */
export async function resolveHost(resolverUrl: string, host: string): Promise<Resolution> {
  const answers = await Promise.all([query(resolverUrl, host, TYPE_A), query(resolverUrl, host, TYPE_AAAA)]);
  const failed = answers.find((a) => !a.ok);
  if (failed) return failed;
  return { ok: true, addresses: answers.flatMap((a) => (a.ok ? a.addresses : [])) };
}

async function query(resolverUrl: string, host: string, type: number): Promise<Resolution> {
  const url = new URL(resolverUrl);
  url.searchParams.set("name", host);
  url.searchParams.set("type", type === TYPE_A ? "A" : "AAAA");
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: "application/dns-json" },
      signal: AbortSignal.timeout(RESOLVE_TIMEOUT_MS),
    });
  } catch (err) {
    return { ok: false, error: `DNS resolver unreachable (${err instanceof Error ? err.name : "error"})` };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { ok: false, error: `DNS resolver answered HTTP ${res.status}` };
  }
  const parsed = DnsJsonSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) return { ok: false, error: "DNS resolver answered something other than DNS JSON" };
  const { Status, Answer = [] } = parsed.data;
  if (Status === NXDOMAIN) return { ok: true, addresses: [] };
  if (Status !== NOERROR) return { ok: false, error: `DNS resolver answered RCODE ${Status}` };
  return { ok: true, addresses: Answer.filter((a) => a.type === type).map((a) => a.data.trim()) };
}
