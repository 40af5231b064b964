import type { BuiltMessage } from "./messages";

/** Who the mail is from: MAIL_FROM, with the optional display name. */
export interface Sender {
  email: string;
  name?: string | undefined;
}

/**
 * Sends one participant's mail through the MAILER binding (Email Service builder form), with the
 * iCalendar invitation attached as `text/calendar; method=…` so mail clients offer to add it.
 */
export async function sendParticipantMail(
  mailer: SendEmail,
  sender: Sender,
  to: string,
  replyTo: string,
  message: BuiltMessage,
): Promise<void> {
  const method = message.icsMethod;
  await mailer.send({
    from: sender.name ? { name: sender.name, email: sender.email } : sender.email,
    to,
    replyTo,
    subject: message.subject,
    text: message.text,
    html: message.html,
    attachments: [
      {
        disposition: "attachment",
        filename: method === "CANCEL" ? "cancel.ics" : "invite.ics",
        type: `text/calendar; charset=utf-8; method=${method}`,
        content: message.ics,
      },
    ],
  });
}
