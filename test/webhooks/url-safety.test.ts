// Layer: modules called directly — src/webhooks/ip-address.ts (pure) and src/webhooks/url-safety.ts against
// the DNS-over-HTTPS stub of test/support/webhook-network.ts. Every class of address and name a webhook must
// never reach, in every spelling the URL parser and resolvers produce.
import { describe, it } from "vitest";
import { blockedAddressKind } from "../../src/webhooks/ip-address";
import { checkWebhookUrl } from "../../src/webhooks/url-safety";
import { setDns } from "../support/webhooks";

const CONFIG = { webhookAllowLocalhost: false, dnsResolverUrl: "https://cloudflare-dns.com/dns-query" };
const DEV_CONFIG = { ...CONFIG, webhookAllowLocalhost: true };

describe("blockedAddressKind", () => {
  it.for([
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.0.0.5", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.254", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.254", "carrier-grade NAT"],
    ["100.100.100.200", "carrier-grade NAT"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.169.254", "cloud metadata"],
    ["169.254.1.1", "link-local"],
    ["192.0.0.192", "reserved"],
    ["198.18.0.1", "reserved"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "cloud metadata"],
    ["::ffff:10.0.0.5", "private"],
    ["::ffff:0:10.0.0.5", "private"],
    ["::10.0.0.5", "reserved"],
    ["64:ff9b::a9fe:a9fe", "cloud metadata"],
    ["64:ff9b::10.1.2.3", "private"],
    ["64:ff9b:1::1", "private"],
    ["2002:a00:1::1", "private"],
    ["2002:7f00:1::", "loopback"],
    ["fd00:ec2::254", "cloud metadata"],
    ["fd00::5", "private"],
    ["fc00::1", "private"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "private"],
    ["ff02::1", "multicast"],
    ["2001::1", "reserved"],
    ["2001:10::1", "reserved"],
    ["2001:20::1", "reserved"],
    ["100::1", "reserved"],
    ["not-an-address", "reserved"],
    ["1.2.3", "reserved"],
    ["256.1.1.1", "reserved"],
    ["1:2:3:4:5:6:7:8:9", "reserved"],
  ] as const)("%s is %s", ([address, kind], { expect }) => {
    expect(blockedAddressKind(address)).toBe(kind);
  });

  it.for([
    "203.0.113.10",
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "192.169.0.1",
    "169.255.0.1",
    "2001:db8::10",
    "2606:4700:4700::1111",
    "[2a00:1450:4001:82b::200e]",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
  ])("%s is public", (address, { expect }) => {
    expect(blockedAddressKind(address)).toBeNull();
  });
});

describe("checkWebhookUrl", () => {
  it.for([
    ["http://hooks.receiver.example/x", "scheme_not_allowed"],
    ["ftp://hooks.receiver.example/x", "scheme_not_allowed"],
    ["javascript:alert(1)", "scheme_not_allowed"],
    ["data:text/plain,x", "scheme_not_allowed"],
    ["http://localhost:8787/hook", "scheme_not_allowed"],
    ["https://user:secret@hooks.receiver.example/x", "credentials_not_allowed"],
    ["https://user@hooks.receiver.example/x", "credentials_not_allowed"],
    ["https://:secret@hooks.receiver.example/x", "credentials_not_allowed"],
    ["https://10.0.0.1/x", "address_not_allowed"],
    ["https://127.0.0.1/x", "address_not_allowed"],
    ["https://127.1/x", "address_not_allowed"],
    ["https://2130706433/x", "address_not_allowed"],
    ["https://0x7f000001/x", "address_not_allowed"],
    ["https://0177.0.0.1/x", "address_not_allowed"],
    ["https://%31%32%37.0.0.1/x", "address_not_allowed"],
    ["https://169.254.169.254/latest/meta-data/", "address_not_allowed"],
    ["https://[::1]/x", "address_not_allowed"],
    ["https://[::ffff:127.0.0.1]/x", "address_not_allowed"],
    ["https://[::ffff:169.254.169.254]/x", "address_not_allowed"],
    ["https://[fd00:ec2::254]/latest/meta-data/", "address_not_allowed"],
    ["https://[64:ff9b::a9fe:a9fe]/x", "address_not_allowed"],
    ["https://[fe80::1]/x", "address_not_allowed"],
    ["https://0.0.0.0/x", "address_not_allowed"],
    ["https://[::]/x", "address_not_allowed"],
    ["https://localhost/x", "host_not_allowed"],
    ["https://LOCALHOST./x", "host_not_allowed"],
    ["https://api.localhost/x", "host_not_allowed"],
    ["https://printer.local/x", "host_not_allowed"],
    ["https://metadata.google.internal/computeMetadata/v1/", "host_not_allowed"],
    ["https://router.home.arpa/x", "host_not_allowed"],
    ["https://intranet/x", "host_not_allowed"],
    ["https://private.resolves.example/x", "address_not_allowed"],
    ["https://loopback.resolves.example/x", "address_not_allowed"],
    ["https://metadata.resolves.example/x", "address_not_allowed"],
    ["https://cgnat.resolves.example/x", "address_not_allowed"],
    ["https://ula.resolves.example/x", "address_not_allowed"],
    ["https://mapped.resolves.example/x", "address_not_allowed"],
    ["https://metadata6.resolves.example/x", "address_not_allowed"],
    ["https://nowhere.example/x", "host_not_resolved"],
    ["not a url", "invalid_url"],
  ] as const)("%s → %s", async ([url, reason], { expect }) => {
    const verdict = await checkWebhookUrl(CONFIG, url);
    expect(verdict).toMatchObject({ allowed: false, reason });
  });

  it("names the address and its kind in the refusal", async ({ expect }) => {
    expect(await checkWebhookUrl(CONFIG, "https://metadata.resolves.example/x")).toEqual({
      allowed: false,
      reason: "address_not_allowed",
      detail:
        '"metadata.resolves.example" resolves to 169.254.169.254, a cloud metadata address; webhooks go to public addresses only.',
    });
  });

  it.for([
    ["https://hooks.receiver.example/x", "https://hooks.receiver.example/x"],
    ["https://HOOKS.receiver.example./x?a=1#frag", "https://hooks.receiver.example./x?a=1#frag"],
    ["https://public.resolves.example:8443/x", "https://public.resolves.example:8443/x"],
    ["https://203.0.113.50/x", "https://203.0.113.50/x"],
    ["https://[2001:db8::1]/x", "https://[2001:db8::1]/x"],
  ] as const)("%s is allowed", async ([url, normalised], { expect }) => {
    expect(await checkWebhookUrl(CONFIG, url)).toEqual({ allowed: true, url: normalised });
  });

  it("refuses a name if any of its addresses is private, and follows DNS changes", async ({ expect }) => {
    const host = `dual-${crypto.randomUUID().slice(0, 8)}.receiver.example`;
    expect(await checkWebhookUrl(CONFIG, `https://${host}/`)).toMatchObject({ allowed: true });
    await setDns(host, { A: ["203.0.113.10"], AAAA: ["::1"] });
    expect(await checkWebhookUrl(CONFIG, `https://${host}/`)).toMatchObject({
      allowed: false,
      reason: "address_not_allowed",
    });
    await setDns(host, { A: [], AAAA: [] });
    expect(await checkWebhookUrl(CONFIG, `https://${host}/`)).toMatchObject({ reason: "host_not_resolved" });
  });

  it("says the check could not be made when the resolver fails", async ({ expect }) => {
    const host = `broken-${crypto.randomUUID().slice(0, 8)}.receiver.example`;
    await setDns(host, { servfail: true });
    expect(await checkWebhookUrl(CONFIG, `https://${host}/`)).toEqual({
      allowed: false,
      reason: "dns_unavailable",
      detail: `Could not resolve "${host}": DNS resolver answered RCODE 2.`,
    });
    const unreachable = { ...CONFIG, dnsResolverUrl: "https://dns.nowhere.example/dns-query" };
    expect(await checkWebhookUrl(unreachable, "https://hooks.receiver.example/")).toMatchObject({
      allowed: false,
      reason: "dns_unavailable",
    });
  });

  it("with WEBHOOK_ALLOW_LOCALHOST=true allows plain http to localhost, 127.0.0.1 and [::1] only", async ({
    expect,
  }) => {
    for (const url of [
      "http://localhost:3000/hook",
      "http://127.0.0.1/hook",
      "http://[::1]:8080/",
      "https://localhost/",
    ]) {
      expect(await checkWebhookUrl(DEV_CONFIG, url), url).toEqual({ allowed: true, url: new URL(url).href });
    }
    for (const [url, reason] of [
      ["http://hooks.receiver.example/x", "scheme_not_allowed"],
      ["http://127.0.0.2/x", "scheme_not_allowed"],
      ["https://127.0.0.2/x", "address_not_allowed"],
      ["https://10.0.0.1/x", "address_not_allowed"],
      ["http://user:pw@localhost/x", "credentials_not_allowed"],
      ["https://api.localhost/x", "host_not_allowed"],
    ] as const) {
      expect(await checkWebhookUrl(DEV_CONFIG, url), url).toMatchObject({ allowed: false, reason });
    }
  });
});
