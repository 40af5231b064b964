// Layer: contract over HTTP through the real local queue to MAILER (spied, calling through): hostile and
// unusual user text reaches subject, bodies and .ics safely; the sender comes from MAIL_FROM/MAIL_FROM_NAME.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import worker from "../../src/index";
import type { MailJob } from "../../src/mail/outbox";
import { TEST_MAIL_FROM, TEST_ORIGIN } from "../support/constants";
import { createEvent, type EventJson, eventBody } from "../support/events";
import { deliverBatch, icsOf, MAIL_QUEUE, waitForMail, watchMail } from "../support/mail";
import { newEmail, signIn } from "../support/sign-in";

describe("user text in mail", () => {
  it("keeps markup, line breaks and header injection out of subject, HTML and .ics; unicode intact", async ({
    expect,
  }) => {
    const mail = watchMail();
    const user = await signIn();
    const ada = newEmail("ada");
    const summary = '<script>alert("x")</script> Party 🎉 Café\r\nBcc: evil@example.com';
    const description = "Line one\r\nLine two <b>bold</b>; a, b \\ c\r\nEND:VEVENT";
    const location = 'Room "4"; Floor, 2 🏢';
    const { res, event } = await createEvent(user.token, {
      participants: [ada],
      summary,
      description,
      location,
    });
    expect(res.status).toBe(201);
    expect((await waitForMail(user.token, event.id)).emails[0]?.status).toBe("sent");

    const [message] = mail.about(event.ical_uid);
    expect(mail.attempts).not.toContain("evil@example.com");
    expect(message!.to).toBe(ada);

    expect(message!.subject).not.toMatch(/[\r\n]/);
    expect(message!.subject).toContain(
      'Invitation: <script>alert("x")</script> Party 🎉 Café Bcc: evil@example.com',
    );

    expect(message!.html).not.toContain("<script>");
    expect(message!.html).not.toContain("<b>");
    expect(message!.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Party 🎉 Café");
    expect(message!.html).toContain("Line two &lt;b&gt;bold&lt;/b&gt;");
    expect(message!.html).toContain("Room &quot;4&quot;; Floor, 2 🏢");
    expect(message!.text).toContain("Line one\nLine two <b>bold</b>");

    const ics = icsOf(message!);
    expect(ics.summary).toBe(summary.replace("\r\n", "\n"));
    expect(ics.description).toBe(description.replaceAll("\r\n", "\n"));
    expect(ics.location).toBe(location);
    const lines = ics.raw.replaceAll("\r\n ", "").split("\r\n");
    expect(lines.filter((line) => /^(BCC|END:VEVENT)/i.test(line))).toEqual(["END:VEVENT"]);
    expect(ics.raw).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
  });
});

/**
 * POST /api/events/ to the Worker as deployed with `overrides` (e.g. no MAIL_FROM). Its queue messages are
 * kept and returned rather than sent, so the test hands them to the consumer under the same settings.
 */
async function createWithSettings(token: string, overrides: Partial<Env>, body: Record<string, unknown>) {
  const enqueued: string[] = [];
  const queue = {
    async send(message: MailJob) {
      enqueued.push(message.outboxId);
    },
    async sendBatch(messages: Iterable<{ body: MailJob }>) {
      for (const m of messages) enqueued.push(m.body.outboxId);
    },
  };
  const settings: Env = { ...env, ...overrides, MAIL_QUEUE: queue as unknown as Env["MAIL_QUEUE"] };
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(new URL("/api/events/", TEST_ORIGIN), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(eventBody(body)),
    }),
    settings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { res, event: (await res.json()) as EventJson, enqueued, settings };
}

describe("sender", () => {
  it("is MAIL_FROM with MAIL_FROM_NAME as display name", async ({ expect }) => {
    const mail = watchMail();
    const user = await signIn();
    const { event } = await createEvent(user.token, { participants: [newEmail("ada")] });
    await waitForMail(user.token, event.id);
    expect(mail.about(event.ical_uid)[0]?.from).toEqual({
      name: "calendar-edge tests",
      email: TEST_MAIL_FROM,
    });
  });

  it("is the bare MAIL_FROM address without MAIL_FROM_NAME", async ({ expect }) => {
    const mail = watchMail();
    const user = await signIn();
    const { event, enqueued, settings } = await createWithSettings(
      user.token,
      { MAIL_FROM_NAME: "" },
      { participants: [newEmail("ada")] },
    );
    await deliverBatch(MAIL_QUEUE, enqueued, settings);
    expect(mail.about(event.ical_uid).map((m) => m.from)).toEqual([TEST_MAIL_FROM]);
  });

  it("without MAIL_FROM: the event is still created, its mail fails visibly, and goes once MAIL_FROM is set", async ({
    expect,
  }) => {
    const mail = watchMail();
    const user = await signIn();
    const participants = [newEmail("ada"), newEmail("grace")];
    const { res, event, enqueued, settings } = await createWithSettings(
      user.token,
      { MAIL_FROM: "" },
      { participants },
    );
    expect(res.status).toBe(201);
    expect(event.emails.map((e) => e.status)).toEqual(["queued", "queued"]);
    expect(enqueued).toHaveLength(2);

    const result = await deliverBatch(MAIL_QUEUE, enqueued, settings);
    expect(result.retryDelays).toEqual([30, 30]);
    expect(mail.attempts).toEqual([]);
    const failed = await waitForMail(user.token, event.id);
    expect(failed.emails.map((e) => [e.status, e.last_error])).toEqual([
      ["failed", "Error: MAIL_FROM is not set"],
      ["failed", "Error: MAIL_FROM is not set"],
    ]);

    // The operator sets MAIL_FROM; the queue's retry now sends each mail once.
    await deliverBatch(MAIL_QUEUE, enqueued);
    const sent = await waitForMail(user.token, event.id);
    expect(sent.emails.map((e) => [e.status, e.attempts])).toEqual([
      ["sent", 2],
      ["sent", 2],
    ]);
    expect(mail.about(event.ical_uid).map((m) => m.to)).toEqual(participants);
  });
});
