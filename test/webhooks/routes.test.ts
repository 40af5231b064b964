// Layer: contract over HTTP (exports.default.fetch) with local D1 and the DNS-over-HTTPS stub. The webhook
// endpoint routes: shapes, the secret shown once and stored sealed, per-account isolation, validation codes,
// the per-account limit, and the deliveries listing.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, problemOf } from "../support/app";
import { signIn } from "../support/sign-in";
import { newInbox, registerWebhook } from "../support/webhooks";

const ALL_TYPES = [
  "event.created",
  "event.updated",
  "event.cancelled",
  "attendee.responded",
  "account.reauthorization_required",
];

describe("POST /api/webhooks/", () => {
  it("answers 201 with the endpoint and a Standard Webhooks secret, shown this once", async ({ expect }) => {
    const user = await signIn();
    const { url } = newInbox();
    const res = await api("/api/webhooks/", { method: "POST", token: user.token, body: { url } });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["id", "url", "events", "secret", "created_at"]);
    expect(body).toEqual({
      id: expect.stringMatching(/^ep_[0-9a-f]{32}$/),
      url,
      events: ALL_TYPES,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(res.headers.get("location")).toBe(`/api/webhooks/${body.id}`);
    expect(atob(String(body.secret).slice("whsec_".length))).toHaveLength(32);

    // Never again: not in the list, not on the item, and stored only sealed.
    const list = await api("/api/webhooks/", { token: user.token });
    expect(await list.json()).toEqual({
      webhooks: [{ id: body.id, url, events: ALL_TYPES, created_at: body.created_at }],
    });
    const item = await api(`/api/webhooks/${body.id}`, { token: user.token });
    expect(await item.json()).toEqual({ id: body.id, url, events: ALL_TYPES, created_at: body.created_at });
    const row = await env.DB.prepare("SELECT secret FROM webhook_endpoints WHERE id = ?")
      .bind(body.id)
      .first<{ secret: string }>();
    expect(row!.secret).not.toContain(String(body.secret).slice("whsec_".length));
    expect(JSON.parse(row!.secret)).toEqual({ v: 1, iv: expect.any(String), ct: expect.any(String) });
  });

  it("takes a subset of event types, merging duplicates, in documentation order; normalises the URL", async ({
    expect,
  }) => {
    const user = await signIn();
    const { id } = newInbox();
    const created = await registerWebhook(user.token, {
      url: `HTTPS://Hooks.Receiver.Example:443/${id}?v=1`,
      events: ["event.cancelled", "event.created", "event.cancelled"],
    });
    expect(created.url).toBe(`https://hooks.receiver.example/${id}?v=1`);
    expect(created.events).toEqual(["event.created", "event.cancelled"]);
  });

  it("gives each endpoint its own secret", async ({ expect }) => {
    const user = await signIn();
    const a = await registerWebhook(user.token, { url: newInbox().url });
    const b = await registerWebhook(user.token, { url: newInbox().url });
    expect(a.secret).not.toBe(b.secret);
    expect(a.id).not.toBe(b.id);
  });

  it.for([
    ["no url", {}, "url"],
    ["url not a string", { url: 42 }, "url"],
    ["url not absolute", { url: "hooks.receiver.example/x" }, "url"],
    ["url empty", { url: "" }, "url"],
    ["url too long", { url: `https://hooks.receiver.example/${"a".repeat(2048)}` }, "url"],
    ["events empty", { url: "https://hooks.receiver.example/x", events: [] }, "events"],
    ["events unknown", { url: "https://hooks.receiver.example/x", events: ["event.deleted"] }, "events.0"],
    ["events not an array", { url: "https://hooks.receiver.example/x", events: "event.created" }, "events"],
    ["events null", { url: "https://hooks.receiver.example/x", events: null }, "events"],
    ["unknown field", { url: "https://hooks.receiver.example/x", secret: "whsec_x" }, "secret"],
  ] as const)("%s → 422 validation_failed naming the field", async ([, body, path], { expect }) => {
    const user = await signIn();
    const res = await api("/api/webhooks/", { method: "POST", token: user.token, body });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = await problemOf(res);
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors?.map((e) => e.path)).toContain(path);
    expect(await (await api("/api/webhooks/", { token: user.token })).json()).toEqual({ webhooks: [] });
  });

  it("answers 400, 415, 413 and 401 like the other routes", async ({ expect }) => {
    const user = await signIn();
    const post = (body: string, headers: Record<string, string> = {}, token: string | null = user.token) =>
      api("/api/webhooks/", { method: "POST", ...(token ? { token } : {}), body, headers });
    expect((await problemOf(await post("{"))).code).toBe("invalid_json");
    expect((await problemOf(await post("", {}))).code).toBe("invalid_json");
    const plain = await post('{"url":"https://hooks.receiver.example/x"}', { "content-type": "text/plain" });
    expect([plain.status, (await problemOf(plain)).code]).toEqual([415, "unsupported_media_type"]);
    const big = await post(JSON.stringify({ url: "https://x.example/", pad: "a".repeat(70_000) }));
    expect([big.status, (await problemOf(big)).code]).toEqual([413, "payload_too_large"]);
    const anonymous = await post('{"url":"https://hooks.receiver.example/x"}', {}, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("allows ten endpoints per account, then 409 webhook_limit_reached until one is deleted", async ({
    expect,
  }) => {
    const user = await signIn();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await registerWebhook(user.token, { url: newInbox().url })).id);
    const eleventh = await api("/api/webhooks/", {
      method: "POST",
      token: user.token,
      body: { url: newInbox().url },
    });
    expect(eleventh.status).toBe(409);
    expect((await problemOf(eleventh)).code).toBe("webhook_limit_reached");

    // Another account has its own ten.
    const other = await signIn();
    await registerWebhook(other.token, { url: newInbox().url });

    expect((await api(`/api/webhooks/${ids[3]}`, { method: "DELETE", token: user.token })).status).toBe(204);
    await registerWebhook(user.token, { url: newInbox().url });
    const listed = (await (await api("/api/webhooks", { token: user.token })).json()) as {
      webhooks: unknown[];
    };
    expect(listed.webhooks).toHaveLength(10);
  });
});

describe("GET, DELETE /api/webhooks/{id} and GET /api/webhooks/{id}/deliveries", () => {
  it("are per account: another account's endpoint is a 404 everywhere, and is left alone", async ({
    expect,
  }) => {
    const [owner, stranger] = [await signIn(), await signIn()];
    const endpoint = await registerWebhook(owner.token, { url: newInbox().url });
    for (const [method, path] of [
      ["GET", `/api/webhooks/${endpoint.id}`],
      ["DELETE", `/api/webhooks/${endpoint.id}`],
      ["GET", `/api/webhooks/${endpoint.id}/deliveries`],
    ] as const) {
      const res = await api(path, { method, token: stranger.token });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await problemOf(res)).code).toBe("not_found");
    }
    expect(await (await api("/api/webhooks/", { token: stranger.token })).json()).toEqual({ webhooks: [] });
    expect((await api(`/api/webhooks/${endpoint.id}`, { token: owner.token })).status).toBe(200);
  });

  it("DELETE answers 204 once, then 404; the endpoint is gone from the list", async ({ expect }) => {
    const user = await signIn();
    const keep = await registerWebhook(user.token, { url: newInbox().url });
    const drop = await registerWebhook(user.token, { url: newInbox().url });
    const res = await api(`/api/webhooks/${drop.id}/`, { method: "DELETE", token: user.token });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect((await api(`/api/webhooks/${drop.id}`, { method: "DELETE", token: user.token })).status).toBe(404);
    expect((await api(`/api/webhooks/${drop.id}`, { token: user.token })).status).toBe(404);
    const list = (await (await api("/api/webhooks", { token: user.token })).json()) as {
      webhooks: { id: string }[];
    };
    expect(list.webhooks.map((w) => w.id)).toEqual([keep.id]);
  });

  it("unknown ids are 404 not_found", async ({ expect }) => {
    const user = await signIn();
    for (const id of ["ep_00000000000000000000000000000000", "x", "%00", "..%2F"]) {
      const res = await api(`/api/webhooks/${id}/deliveries`, { token: user.token });
      expect(res.status, id).toBe(404);
      expect((await problemOf(res)).code).toBe("not_found");
    }
  });

  it("deliveries: an empty list at first; limit 1–100; unknown parameters rejected", async ({ expect }) => {
    const user = await signIn();
    const endpoint = await registerWebhook(user.token, { url: newInbox().url });
    for (const query of ["", "?limit=1", "?limit=100", "?limit=20"]) {
      const res = await api(`/api/webhooks/${endpoint.id}/deliveries${query}`, { token: user.token });
      expect(res.status, query).toBe(200);
      expect(await res.json()).toEqual({ deliveries: [] });
    }
    for (const query of ["?limit=0", "?limit=101", "?limit=abc", "?limit=-1", "?limit=1.5", "?cursor=x"]) {
      const res = await api(`/api/webhooks/${endpoint.id}/deliveries${query}`, { token: user.token });
      expect(res.status, query).toBe(422);
      expect((await problemOf(res)).code).toBe("validation_failed");
    }
  });

  it("GET /api/webhooks/ rejects unknown parameters and needs a token", async ({ expect }) => {
    const user = await signIn();
    const res = await api("/api/webhooks/?limit=5", { token: user.token });
    expect([res.status, (await problemOf(res)).code]).toEqual([422, "validation_failed"]);
    expect((await api("/api/webhooks/")).status).toBe(401);
    expect((await api("/api/webhooks/x/deliveries")).status).toBe(401);
  });
});
