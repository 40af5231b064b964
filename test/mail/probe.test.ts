import { env } from "cloudflare:workers";
import { it, vi } from "vitest";
import { api } from "../support/app";
import { createEvent } from "../support/events";
import { signIn } from "../support/sign-in";

async function settle(token: string, id: string) {
  return vi.waitUntil(
    async () => {
      const e = (await (await api(`/api/events/${id}`, { token })).json()) as any;
      return e.emails.every((m: any) => m.status !== "queued") ? e : undefined;
    },
    { timeout: 15000, interval: 100 },
  );
}

it("A: plain spy", async ({ expect }) => {
  console.log("typeof MAILER", typeof env.MAILER, Object.prototype.toString.call(env.MAILER), Object.getOwnPropertyNames(env.MAILER));
  const spy = vi.spyOn(env.MAILER, "send");
  const user = await signIn();
  const { event } = await createEvent(user.token);
  const done = await settle(user.token, event.id);
  console.log("A", JSON.stringify(done.emails), spy.mock.calls.length, JSON.stringify(await Promise.allSettled(spy.mock.results.map((r) => r.value))));
  spy.mockRestore();
});

it("B: captured original, called with call()", async ({ expect }) => {
  const original = env.MAILER.send;
  const seen: unknown[] = [];
  const spy = vi.spyOn(env.MAILER, "send").mockImplementation(async (m) => {
    seen.push(m);
    return original.call(env.MAILER, m);
  });
  const user = await signIn();
  const { event } = await createEvent(user.token);
  const done = await settle(user.token, event.id);
  console.log("B", JSON.stringify(done.emails), spy.mock.calls.length);
  spy.mockRestore();
});
