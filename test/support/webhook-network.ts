// The webhook tests' outside world, run in the vitest Node process and reached through Miniflare's
// outboundService (vitest.config.ts): a receiver that records every request to a `*.receiver.example` or
// `*.resolves.example` host and answers by per-inbox rules, and a DNS-over-HTTPS stub at cloudflare-dns.com
// answering `application/dns-json` from a table. Plain Request → Response, like the Google emulator; tests
// drive both through the control URL (test/support/webhooks.ts).

/** How the receiver answers one request. */
export interface ReceiverRule {
  /** Status to answer (default 204). */
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Break the connection instead of answering. */
  drop?: boolean;
  /** Answer a redirect (status default 302) to this URL. */
  redirect?: string;
  body?: string;
}

/** One request as the receiver got it. */
export interface ReceivedRequest {
  method: string;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The raw body, as text. */
  body: string;
  /** When it arrived (epoch ms). */
  at: number;
}

/** DNS records for one name; `nxdomain` makes it not exist, `servfail` makes the resolver fail on it. */
export interface DnsRecords {
  A?: string[];
  AAAA?: string[];
  nxdomain?: boolean;
  servfail?: boolean;
}

/** Where the control surface lives (any receiver host works; this one is used). */
export const RECEIVER_CONTROL_PATH = "/__receiver";
/** The public documentation addresses every `*.receiver.example` name resolves to unless told otherwise. */
export const RECEIVER_ADDRESSES: DnsRecords = { A: ["203.0.113.10"], AAAA: ["2001:db8::10"] };

/** Names under `resolves.example` resolving to addresses webhooks must never reach. */
export const REFUSED_NAMES: Record<string, DnsRecords> = {
  "private.resolves.example": { A: ["10.0.0.5"] },
  "loopback.resolves.example": { A: ["127.0.0.1"] },
  "metadata.resolves.example": { A: ["169.254.169.254"] },
  "cgnat.resolves.example": { A: ["100.64.0.7"] },
  "ula.resolves.example": { A: ["203.0.113.11"], AAAA: ["fd00::5"] },
  "mapped.resolves.example": { AAAA: ["::ffff:10.0.0.5"] },
  "metadata6.resolves.example": { AAAA: ["fd00:ec2::254"] },
  "public.resolves.example": { A: ["203.0.113.12"] },
};

const DOH_HOST = "cloudflare-dns.com";
const RECEIVER_SUFFIXES = [".receiver.example", ".resolves.example"];

interface Inbox {
  script: ReceiverRule[];
  otherwise: ReceiverRule;
  requests: ReceivedRequest[];
}

/** The receiver and the DoH stub as one `fetch`. */
export interface WebhookTestNetwork {
  /** Whether a URL is for this network (otherwise it is Google's, for the emulator). */
  serves(url: string): boolean;
  fetch(request: Request): Promise<Response>;
}

/** Builds the network with empty inboxes and the default DNS table. */
export function createWebhookTestNetwork(): WebhookTestNetwork {
  const inboxes = new Map<string, Inbox>();
  const dns = new Map<string, DnsRecords>();
  const dnsQueries = new Map<string, number>();
  const inbox = (id: string): Inbox => {
    let found = inboxes.get(id);
    if (!found) {
      found = { script: [], otherwise: {}, requests: [] };
      inboxes.set(id, found);
    }
    return found;
  };

  const records = (name: string): DnsRecords => {
    const key = name.toLowerCase().replace(/\.$/, "");
    const set = dns.get(key) ?? REFUSED_NAMES[key];
    if (set) return set;
    return key.endsWith(".receiver.example") ? { ...RECEIVER_ADDRESSES } : { nxdomain: true };
  };

  async function control(request: Request, url: URL): Promise<Response> {
    const [kind, id] = url.pathname.slice(RECEIVER_CONTROL_PATH.length + 1).split("/");
    if (kind === "inboxes" && id) {
      if (request.method === "PUT") {
        const rules = (await request.json()) as { script?: ReceiverRule[]; otherwise?: ReceiverRule };
        const box = inbox(id);
        box.script = rules.script ?? [];
        box.otherwise = rules.otherwise ?? {};
        return json({ ok: true });
      }
      return json({ requests: inboxes.get(id)?.requests ?? [] });
    }
    if (kind === "dns" && id) {
      const name = decodeURIComponent(id).toLowerCase();
      if (request.method === "PUT") dns.set(name, (await request.json()) as DnsRecords);
      if (request.method === "DELETE") dns.delete(name);
      return json({ queries: dnsQueries.get(name) ?? 0, records: records(name) });
    }
    return new Response("unknown control path", { status: 404 });
  }

  async function receive(request: Request, url: URL): Promise<Response> {
    const id = url.pathname.split("/")[1] ?? "";
    const box = inbox(id);
    box.requests.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries([...request.headers].map(([k, v]) => [k.toLowerCase(), v])),
      body: await request.text(),
      at: Date.now(),
    });
    const rule = box.script.shift() ?? box.otherwise;
    if (rule.delayMs) await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
    if (rule.drop) return droppedConnection();
    if (rule.redirect) {
      return new Response(null, { status: rule.status ?? 302, headers: { location: rule.redirect } });
    }
    const status = rule.status ?? 204;
    return new Response(status === 204 ? null : (rule.body ?? ""), {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }

  function resolve(url: URL): Response {
    const name = (url.searchParams.get("name") ?? "").toLowerCase().replace(/\.$/, "");
    const type = url.searchParams.get("type") === "AAAA" ? "AAAA" : "A";
    dnsQueries.set(name, (dnsQueries.get(name) ?? 0) + 1);
    const set = records(name);
    if (set.servfail) return dnsJson({ Status: 2, Question: [{ name, type: type === "A" ? 1 : 28 }] });
    if (set.nxdomain) return dnsJson({ Status: 3, Question: [{ name, type: type === "A" ? 1 : 28 }] });
    const answers = (set[type] ?? []).map((data) => ({ name, type: type === "A" ? 1 : 28, TTL: 60, data }));
    return dnsJson({ Status: 0, Question: [{ name, type: type === "A" ? 1 : 28 }], Answer: answers });
  }

  return {
    serves(raw) {
      const host = new URL(raw).hostname;
      return host === DOH_HOST || RECEIVER_SUFFIXES.some((suffix) => host.endsWith(suffix));
    },
    async fetch(request) {
      const url = new URL(request.url);
      if (url.hostname === DOH_HOST) return resolve(url);
      if (url.pathname.startsWith(`${RECEIVER_CONTROL_PATH}/`)) return control(request, url);
      return receive(request, url);
    },
  };
}

/** The one network of a test run (vitest.config.ts attaches it; test files share it, so inboxes are unique). */
export const webhookTestNetwork = createWebhookTestNetwork();

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } });
}

function dnsJson(value: unknown): Response {
  return new Response(JSON.stringify(value), { headers: { "content-type": "application/dns-json" } });
}

/**
 * A response whose head no HTTP client accepts (Content-Length is not a number): Miniflare writes it to
 * workerd, whose fetch then rejects with "Network connection lost.", as on a dropped connection (the same
 * way the Google emulator drops a call).
 */
function droppedConnection(): Response {
  const body = new ReadableStream({
    pull(controller) {
      controller.error(new TypeError("Network connection lost."));
    },
  });
  return new Response(body, { status: 200, headers: { "content-length": "connection-dropped" } });
}
