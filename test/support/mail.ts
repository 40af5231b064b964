// Watches participant mail at its edge, the MAILER binding, and drives the queue and cron handlers.
// In the vitest integration the Worker's handlers get the same binding objects as `env` from
// cloudflare:workers, so a spy on env.MAILER sees every send: those of the real local queue's consumer
// (the delivery tests rely on it) and those of handlers called here.
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import ICAL from "ical.js";
import { onTestFinished, vi } from "vitest";
import worker from "../../src/index";
import { api } from "./app";
import type { EventJson } from "./events";
import { runQueueBatch } from "./queues";

/** Queue names, as in wrangler.toml. */
export const MAIL_QUEUE = "calendar-edge-mail";
export const MAIL_DLQ = "calendar-edge-mail-dlq";

/** One mail as the MAILER binding received it (builder form), with its attachments as text. */
export interface SentMail {
  from: string | { name: string; email: string };
  to: string;
  replyTo: string | undefined;
  subject: string;
  text: string;
  html: string;
  attachments: { filename: string; type: string; disposition: string | undefined; content: string }[];
}

export interface MailWatch {
  /** Every mail the binding accepted, in order. */
  sent: SentMail[];
  /** Recipients of every call, accepted or refused. */
  attempts: string[];
  /** Mail whose invitation carries this UID (other tests' late deliveries are left out). */
  about(uid: string): SentMail[];
  /** Lets mail to a refused address through from now on. */
  accept(address: string): void;
}

/**
 * Spies on env.MAILER.send for the current test, calling through to the local send_email binding (which
 * validates the message and writes it to a file). Sends to `refuse` addresses throw, as a provider that
 * rejects one mailbox would.
 */
export function watchMail(options: { refuse?: string[] } = {}): MailWatch {
  const send = env.MAILER.send;
  const refused = new Set(options.refuse);
  const sent: SentMail[] = [];
  const attempts: string[] = [];
  const spy = vi.spyOn(env.MAILER, "send").mockImplementation(async (message) => {
    if (!("subject" in message)) throw new Error("expected the builder form of MAILER.send");
    const mail = toSentMail(message as EmailMessageBuilder);
    attempts.push(mail.to);
    if (refused.has(mail.to)) throw new Error(`550 mailbox unavailable: ${mail.to}`);
    const result = await Reflect.apply(send, env.MAILER, [message]);
    sent.push(mail);
    return result;
  });
  onTestFinished(() => spy.mockRestore());
  return {
    sent,
    attempts,
    about: (uid) => sent.filter((mail) => icsOf(mail).uid === uid),
    accept: (address) => refused.delete(address),
  };
}

function toSentMail(message: EmailMessageBuilder): SentMail {
  const to = [message.to ?? [], message.cc ?? [], message.bcc ?? []].flat();
  if (to.length !== 1) throw new Error(`expected one recipient per mail, got ${to.length}`);
  return {
    from: message.from,
    to: addressOf(to[0]!),
    replyTo: message.replyTo === undefined ? undefined : addressOf(message.replyTo),
    subject: message.subject,
    text: message.text ?? "",
    html: message.html ?? "",
    attachments: (message.attachments ?? []).map((a) => ({
      filename: a.filename,
      type: a.type,
      disposition: a.disposition,
      content: typeof a.content === "string" ? a.content : new TextDecoder().decode(a.content as ArrayBuffer),
    })),
  };
}

function addressOf(address: string | EmailAddress): string {
  return typeof address === "string" ? address : address.email;
}

/** The invitation attached to a mail, parsed with ical.js. */
export function icsOf(mail: SentMail) {
  const attachment = mail.attachments.find((a) => a.type.startsWith("text/calendar"));
  if (!attachment) throw new Error(`no text/calendar attachment in mail to ${mail.to}`);
  const calendar = new ICAL.Component(ICAL.parse(attachment.content));
  const vevent = calendar.getFirstSubcomponent("vevent");
  if (!vevent) throw new Error("no VEVENT");
  const vtimezone = calendar.getFirstSubcomponent("vtimezone");
  const zone = vtimezone ? new ICAL.Timezone(vtimezone) : undefined;
  const instant = (name: "dtstart" | "dtend") => {
    const property = vevent.getFirstProperty(name);
    const time = property?.getFirstValue() as ICAL.Time | undefined;
    if (!property || !time) throw new Error(`no ${name}`);
    if (property.getParameter("tzid") && zone) time.zone = zone;
    return { tzid: property.getParameter("tzid") as string | undefined, date: time.toJSDate() };
  };
  return {
    raw: attachment.content,
    contentType: attachment.type,
    method: calendar.getFirstPropertyValue("method") as string,
    uid: vevent.getFirstPropertyValue("uid") as string,
    sequence: Number(vevent.getFirstPropertyValue("sequence")),
    status: vevent.getFirstPropertyValue("status") as string,
    summary: vevent.getFirstPropertyValue("summary") as string,
    description: vevent.getFirstPropertyValue("description") as string | null,
    location: vevent.getFirstPropertyValue("location") as string | null,
    attendees: vevent
      .getAllProperties("attendee")
      .map((p) => String(p.getFirstValue()).replace(/^mailto:/i, "")),
    organizer: String(vevent.getFirstPropertyValue("organizer")).replace(/^mailto:/i, ""),
    start: instant("dtstart"),
    end: instant("dtend"),
  };
}

/** GET /api/events/:id, parsed. */
export async function getEvent(token: string, id: string): Promise<EventJson> {
  const res = await api(`/api/events/${id}`, { token });
  if (res.status !== 200) throw new Error(`GET /api/events/${id} answered ${res.status}`);
  return (await res.json()) as EventJson;
}

/**
 * Polls the event until `done` holds for it (by default: no mail still `queued`), as a client would.
 * The real local queue delivers within a few hundred milliseconds.
 */
export async function waitForMail(
  token: string,
  id: string,
  done: (event: EventJson) => boolean = (event) => event.emails.every((e) => e.status !== "queued"),
): Promise<EventJson> {
  let last: EventJson | undefined;
  await vi.waitUntil(
    async () => {
      last = await getEvent(token, id);
      return done(last);
    },
    { timeout: 10_000, interval: 50 },
  );
  return last as EventJson;
}

/** The event's outbox rows, straight from D1 (what was left behind). */
export async function outboxRows(eventId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, recipient, kind, sequence, status, attempts, last_error FROM outbox WHERE event_id = ? ORDER BY sequence, recipient",
  )
    .bind(eventId)
    .all<{
      id: string;
      recipient: string;
      kind: string;
      sequence: number;
      status: string;
      attempts: number;
      last_error: string | null;
    }>();
  return results;
}

/** Hands the queue handler one batch of outbox ids, as the queue would (see runQueueBatch). */
export function deliverBatch(queue: string, outboxIds: string[], handlerEnv: Env = env) {
  return runQueueBatch(
    queue,
    outboxIds.map((outboxId) => ({ outboxId })),
    handlerEnv,
  );
}

/** Runs the cron handler as if it fired `minutesLater` from now. */
export async function runCron(minutesLater = 5): Promise<void> {
  const controller = createScheduledController({
    scheduledTime: Date.now() + minutesLater * 60_000,
    cron: "* * * * *",
  });
  await worker.scheduled(controller, env, createExecutionContext());
}

/** Waits long enough for the local queue to have delivered anything it was going to (batches leave after 50 ms). */
export function settleQueue(ms = 400): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
