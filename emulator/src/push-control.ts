import { ControlError, readControlBody, refuseUnknownFields, reply } from "./control-http.ts";
import type { NotificationFaultSpec, Notifier } from "./notifications.ts";
import type { EmulatorState } from "./state.ts";

const MAX_DELAY_MS = 120_000;

function parseNotificationFault(body: Record<string, unknown>): NotificationFaultSpec {
  refuseUnknownFields(body, ["drop", "delayMs", "times"]);
  const { drop, delayMs, times = 1 } = body;
  if (drop !== undefined && typeof drop !== "boolean") throw new ControlError(400, "drop must be a boolean");
  if (delayMs !== undefined && (typeof delayMs !== "number" || delayMs < 0 || delayMs > MAX_DELAY_MS)) {
    throw new ControlError(400, `delayMs must be a number from 0 to ${MAX_DELAY_MS}`);
  }
  if (!Number.isInteger(times) || (times as number) < 1)
    throw new ControlError(400, "times must be a positive integer");
  if (!drop && !delayMs) throw new ControlError(400, "a notification fault needs drop or delayMs");
  return {
    ...(drop ? { drop } : {}),
    ...(delayMs ? { delayMs: delayMs as number } : {}),
    times: times as number,
  };
}

function channelsOf(state: EmulatorState, account: string): Response {
  const now = state.now();
  return reply(
    state.channels
      .filter((channel) => channel.account === account)
      .map((channel) => ({
        id: channel.id,
        resourceId: channel.resourceId,
        calendarId: channel.calendarId,
        address: channel.address,
        expiration: channel.expiration,
        stopped: channel.stopped,
        expired: channel.expiration <= now,
        tokenSet: channel.token !== undefined,
      })),
  );
}

function expireChannel(state: EmulatorState, account: string, id: string): Response {
  const now = state.now();
  const live = state.channels.filter(
    (channel) =>
      channel.account === account && channel.id === id && !channel.stopped && channel.expiration > now,
  );
  if (live.length === 0) throw new ControlError(404, `${account} has no live channel ${id}`);
  for (const channel of live) channel.expiration = now;
  return reply({ expired: live.length });
}

/**
 * `/__emulator/accounts/{email}/notifications[/take|/faults]` and `/__emulator/accounts/{email}/channels[/{id}/expire]`:
 * the watch notifications and channels of one account (the account whose token opened the channel).
 */
export async function handlePushControl(
  deps: { state: EmulatorState; notifier: Notifier },
  method: string,
  account: string,
  path: readonly string[],
  request: Request,
): Promise<Response | undefined> {
  const [resource, id, action] = path;
  if (resource === "notifications") {
    if (path.length === 1 && method === "GET") return reply(deps.notifier.list(account));
    if (path.length === 2 && id === "take" && method === "POST") return reply(deps.notifier.take(account));
    if (path.length === 2 && id === "faults" && method === "POST") {
      deps.notifier.addFault(account, parseNotificationFault(await readControlBody(request)));
      return reply({ ok: true }, 201);
    }
  }
  if (resource === "channels") {
    if (path.length === 1 && method === "GET") return channelsOf(deps.state, account);
    if (path.length === 3 && id && action === "expire" && method === "POST") {
      return expireChannel(deps.state, account, id);
    }
  }
  return undefined;
}
