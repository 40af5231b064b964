import type { Config } from "../config";
import { resolveHost } from "./dns-over-https";
import { blockedAddressKind, isIpLiteral } from "./ip-address";

// A webhook URL is the client's to choose, and this service then POSTs to it: without these rules it could
// be made to call its own network, a cloud metadata service or a LAN (server-side request forgery). They
// run at registration and again before every delivery, because where a name points can change.
// What they cannot close: fetch() resolves the name again itself, so a name that changes between the check
// and the connection (DNS rebinding within the TTL) slips through. Workers offer no way to pin an address.

/** Why a URL is refused; stable, sent as `reason` with `webhook_url_refused`. */
export type UrlRefusalReason =
  | "invalid_url"
  | "scheme_not_allowed"
  | "credentials_not_allowed"
  | "host_not_allowed"
  | "address_not_allowed"
  | "host_not_resolved";

/** The outcome of a check: allowed (the URL normalised), refused for good, or not checkable right now. */
export type UrlVerdict =
  | { allowed: true; url: string }
  | { allowed: false; reason: UrlRefusalReason; detail: string }
  | { allowed: false; reason: "dns_unavailable"; detail: string };

/** Every refusal reason, for the documentation. */
export const URL_REFUSAL_REASONS: readonly UrlRefusalReason[] = [
  "invalid_url",
  "scheme_not_allowed",
  "credentials_not_allowed",
  "host_not_allowed",
  "address_not_allowed",
  "host_not_resolved",
];

/** Hosts plain `http://` may use when `WEBHOOK_ALLOW_LOCALHOST=true` (development only). */
const DEV_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Names that never mean a public host: RFC 6761 localhost, mDNS, ICANN's private `internal`, home networks. */
const LOCAL_NAMES = ["localhost", "local", "internal", "localdomain", "home.arpa", "arpa"];

/**
 * Checks a webhook URL: `https` only (plain `http` only for a local host when the development flag is
 * set), no user info, no local names, no IP literal or resolved address outside public unicast space, and
 * the name must resolve (A or AAAA) through the configured DNS-over-HTTPS resolver.
 */
export async function checkWebhookUrl(
  config: Pick<Config, "webhookAllowLocalhost" | "dnsResolverUrl">,
  raw: string,
): Promise<UrlVerdict> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("invalid_url", "The URL is not an absolute URL.");
  }
  const host = url.hostname;
  const devLocal = config.webhookAllowLocalhost && DEV_HOSTS.has(host);
  if (url.protocol !== "https:" && !(devLocal && url.protocol === "http:")) {
    return refuse("scheme_not_allowed", "Webhook URLs must use https.");
  }
  if (url.username !== "" || url.password !== "") {
    return refuse("credentials_not_allowed", "Webhook URLs must not contain a user name or password.");
  }
  if (devLocal) return { allowed: true, url: url.href };

  const name = host.replace(/\.$/, "");
  const shown = JSON.stringify(name.slice(0, 253));
  if (isIpLiteral(name)) {
    const kind = blockedAddressKind(name);
    return kind
      ? refuse("address_not_allowed", `${shown} is ${describe(kind)}; webhooks go to public addresses only.`)
      : { allowed: true, url: url.href };
  }
  if (!name.includes(".") || LOCAL_NAMES.some((local) => name === local || name.endsWith(`.${local}`))) {
    return refuse("host_not_allowed", `${shown} is not a public host name.`);
  }

  const resolution = await resolveHost(config.dnsResolverUrl, name);
  if (!resolution.ok) {
    return {
      allowed: false,
      reason: "dns_unavailable",
      detail: `Could not resolve ${shown}: ${resolution.error}.`,
    };
  }
  if (resolution.addresses.length === 0) {
    return refuse("host_not_resolved", `${shown} does not resolve to any address (A or AAAA).`);
  }
  for (const address of resolution.addresses) {
    const kind = blockedAddressKind(address);
    if (kind) {
      return refuse(
        "address_not_allowed",
        `${shown} resolves to ${address.slice(0, 64)}, ${describe(kind)}; webhooks go to public addresses only.`,
      );
    }
  }
  return { allowed: true, url: url.href };
}

function describe(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind} address`;
}

function refuse(reason: UrlRefusalReason, detail: string): UrlVerdict {
  return { allowed: false, reason, detail };
}
