import type { WatchChannel } from "./channels.ts";
import { sleep } from "./http.ts";
import type { EmulatorState } from "./state.ts";

/** How notifications leave: `push` POSTs them to the channel's address; `hold` keeps them until a test takes them. */
export type NotificationMode = "push" | "hold";

/** Somewhere to register work that outlives the response (a Worker's `ExecutionContext`). */
export interface BackgroundWork {
  waitUntil(promise: Promise<unknown>): void;
}

/** What became of a notification. */
export type NotificationDelivery = "held" | "taken" | "pending" | "delivered" | "failed" | "dropped";

/** One notification as the control surface lists it. */
export interface NotificationRecord {
  id: string;
  channelId: string;
  calendarId: string;
  address: string;
  /** Exactly the headers Google sends (`X-Goog-Channel-ID`, …), in Google's capitalisation. */
  headers: Record<string, string>;
  state: "sync" | "exists";
  messageNumber: number;
  delivery: NotificationDelivery;
  /** HTTP status the address answered (push mode). */
  status?: number;
  /** Why a push failed (network error, timeout). */
  error?: string;
  delayMs?: number;
  createdAt: string;
}

/** A held notification as `take` hands it over. */
export type TakenNotification = Pick<
  NotificationRecord,
  "id" | "channelId" | "address" | "headers" | "state" | "messageNumber"
>;

/** A notification fault: the account's next `times` notifications are dropped or delayed. */
export interface NotificationFaultSpec {
  drop?: boolean;
  delayMs?: number;
  times: number;
}

/** Sends and records watch notifications. */
export interface Notifier {
  /** One message on one channel: `sync` when it opens, `exists` after a change. */
  send(channel: WatchChannel, state: "sync" | "exists", background?: BackgroundWork): void;
  /** An `exists` message on every live channel of the calendar. */
  calendarChanged(calendarId: string, background?: BackgroundWork): void;
  /** Removes and returns the account's held notifications that are due, oldest first. */
  take(account: string): TakenNotification[];
  /** Every notification of the account's channels, oldest first. */
  list(account: string): NotificationRecord[];
  addFault(account: string, spec: NotificationFaultSpec): void;
}

/** How to build a notifier. */
export interface NotifierOptions {
  mode: NotificationMode;
  /** The fetch that delivers pushes; defaults to the global `fetch`. */
  pushFetch?: (request: Request) => Promise<Response>;
}

interface StoredNotification extends NotificationRecord {
  account: string;
  /** Epoch ms from which a held notification can be taken (a delay fault in hold mode). */
  availableAt: number;
}

const MAX_NOTIFICATIONS = 50_000;
const PUSH_TIMEOUT_MS = 10_000;
const MAX_MESSAGE_GAP = 5_000;

/** Whether a channel still gets notifications: not stopped, not expired. */
export function isChannelLive(channel: WatchChannel, now: number): boolean {
  return !channel.stopped && channel.expiration > now;
}

// Google's message numbers grow, but not one by one: a receiver may only rely on their order.
function nextMessageNumber(channel: WatchChannel, state: "sync" | "exists"): number {
  if (state === "sync") return 1;
  const [gap = 0] = crypto.getRandomValues(new Uint32Array(1));
  return channel.messageNumber + 1 + (gap % MAX_MESSAGE_GAP);
}

function googleHeaders(channel: WatchChannel, state: "sync" | "exists", messageNumber: number) {
  return {
    "X-Goog-Channel-ID": channel.id,
    ...(channel.token !== undefined ? { "X-Goog-Channel-Token": channel.token } : {}),
    "X-Goog-Channel-Expiration": new Date(channel.expiration).toUTCString(),
    "X-Goog-Resource-ID": channel.resourceId,
    "X-Goog-Resource-URI": channel.resourceUri,
    "X-Goog-Resource-State": state,
    "X-Goog-Message-Number": String(messageNumber),
  };
}

function publicView({ account: _account, availableAt: _availableAt, ...record }: StoredNotification) {
  return record;
}

/** A notifier over the state's channels, delivering in `mode`. */
export function createNotifier(state: EmulatorState, options: NotifierOptions): Notifier {
  const records: StoredNotification[] = [];
  const faults: Array<NotificationFaultSpec & { account: string; remaining: number }> = [];
  const pushFetch = options.pushFetch ?? ((request: Request) => fetch(request));

  function takeFault(account: string) {
    const index = faults.findIndex((fault) => fault.account === account);
    const fault = faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return fault;
  }

  async function push(record: StoredNotification): Promise<void> {
    if (record.delayMs) await sleep(record.delayMs);
    try {
      const response = await pushFetch(
        new Request(record.address, {
          method: "POST",
          headers: record.headers,
          signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
        }),
      );
      record.delivery = "delivered";
      record.status = response.status;
      await response.body?.cancel();
    } catch (error) {
      record.delivery = "failed";
      record.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }

  const notifier: Notifier = {
    send(channel, kind, background) {
      const messageNumber = nextMessageNumber(channel, kind);
      channel.messageNumber = messageNumber;
      const fault = takeFault(channel.account);
      const now = state.now();
      const record: StoredNotification = {
        id: crypto.randomUUID(),
        channelId: channel.id,
        calendarId: channel.calendarId,
        address: channel.address,
        headers: googleHeaders(channel, kind, messageNumber),
        state: kind,
        messageNumber,
        delivery: fault?.drop ? "dropped" : options.mode === "hold" ? "held" : "pending",
        ...(fault?.delayMs ? { delayMs: fault.delayMs } : {}),
        createdAt: new Date(now).toISOString(),
        account: channel.account,
        availableAt: now + (fault?.delayMs ?? 0),
      };
      records.push(record);
      if (records.length > MAX_NOTIFICATIONS) records.splice(0, records.length - MAX_NOTIFICATIONS);
      if (record.delivery !== "pending") return;
      // In the background, as Google does: the Calendar call that caused it does not wait for the webhook.
      const delivery = push(record);
      background?.waitUntil(delivery);
    },
    calendarChanged(calendarId, background) {
      const now = state.now();
      for (const channel of state.channels) {
        if (channel.calendarId === calendarId && isChannelLive(channel, now)) {
          notifier.send(channel, "exists", background);
        }
      }
    },
    take(account) {
      const now = state.now();
      const due = records.filter(
        (record) => record.account === account && record.delivery === "held" && record.availableAt <= now,
      );
      for (const record of due) record.delivery = "taken";
      return due.map(({ id, channelId, address, headers, state: kind, messageNumber }) => ({
        id,
        channelId,
        address,
        headers,
        state: kind,
        messageNumber,
      }));
    },
    list(account) {
      return records.filter((record) => record.account === account).map(publicView);
    },
    addFault(account, spec) {
      faults.push({ ...spec, account, remaining: spec.times });
    },
  };
  return notifier;
}
