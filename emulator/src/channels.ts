import { authorizeCalendarRequest } from "./calendar-auth.ts";
import { calendarForCaller, roleAtLeast } from "./calendars.ts";
import type { CalendarDeps } from "./event-store.ts";
import { parseListParams } from "./events-list.ts";
import {
  ApiError,
  answerApiErrors,
  invalidValue,
  notFoundError,
  notFoundResponse,
  readJsonObject,
} from "./google-errors.ts";
import { jsonResponse } from "./http.ts";
import { isChannelLive } from "./notifications.ts";

/** A notification channel opened by events.watch. */
export interface WatchChannel {
  id: string;
  /** Channel ids are unique per OAuth client (Google: per project). */
  clientId: string;
  /** The account whose token opened it: notifications, faults and channels.stop go by this account. */
  account: string;
  /** The real id of the watched calendar (never `primary`). */
  calendarId: string;
  resourceId: string;
  resourceUri: string;
  address: string;
  token?: string;
  /** Epoch ms. */
  expiration: number;
  stopped: boolean;
  /** The last `X-Goog-Message-Number` sent on it. */
  messageNumber: number;
}

/** What events.watch and channels.stop need beyond the calendar deps. */
export interface ChannelOptions {
  /** Accept `http://localhost` and `http://127.0.0.1` addresses (the dev Worker's app runs on plain HTTP). */
  allowHttpAddresses: boolean;
}

const DEFAULT_TTL_SECONDS = 604_800;
const MAX_TTL_SECONDS = 2_592_000;
const MAX_TOKEN_LENGTH = 256;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function required(field: string): ApiError {
  return new ApiError(400, { reason: "required", message: `Required field missing: ${field}` });
}

function checkAddress(value: unknown, options: ChannelOptions): string {
  if (value === undefined || value === null || value === "") throw required("address");
  if (typeof value !== "string") throw invalidValue("Invalid value for: address");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidValue(`Invalid address: ${value}`);
  }
  const localHttp = url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(options.allowHttpAddresses && localHttp)) {
    throw new ApiError(400, {
      reason: "push.webhookUrlNotHttps",
      message: `WebHook callback must be HTTPS: ${value}`,
    });
  }
  return value;
}

function millisField(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^\d+$/.test(text)) throw invalidValue(`Invalid value for: ${name}`);
  return Number(text);
}

// Google keeps a channel for params.ttl seconds (default a week), or until `expiration`, never past 30 days.
function channelExpiration(body: Record<string, unknown>, now: number): number {
  const params = body.params;
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) {
    throw invalidValue("Invalid value for: params");
  }
  const ttl = millisField((params as Record<string, unknown> | undefined)?.ttl, "params.ttl");
  if (ttl !== undefined && ttl < 1) throw invalidValue("Invalid value for: params.ttl");
  const requested = millisField(body.expiration, "expiration");
  if (requested !== undefined && requested <= now) throw invalidValue("Invalid value for: expiration");
  const limits = [now + MAX_TTL_SECONDS * 1000];
  if (ttl !== undefined) limits.push(now + ttl * 1000);
  if (requested !== undefined) limits.push(requested);
  if (ttl === undefined && requested === undefined) limits.push(now + DEFAULT_TTL_SECONDS * 1000);
  return Math.min(...limits);
}

/** `POST /calendar/v3/calendars/{calendarId}/events/watch`: opens a channel and sends its `sync` message. */
export async function handleWatchRequest(
  calendarId: string,
  request: Request,
  url: URL,
  deps: CalendarDeps,
  options: ChannelOptions,
): Promise<Response> {
  const { state } = deps;
  const auth = authorizeCalendarRequest(request, url, state, "events.watch");
  if (!auth.ok) return auth.response;
  const { account, clientId } = auth.token;
  const view = calendarForCaller(state, account, calendarId);
  if (!view || !roleAtLeast(view.role, "reader")) return notFoundResponse();
  return answerApiErrors(async () => {
    parseListParams(url);
    const body = await readJsonObject(request);
    const id = body.id;
    if (id === undefined || id === "") throw required("id");
    if (typeof id !== "string") throw invalidValue("Invalid value for: id");
    if (body.type !== "web_hook" && body.type !== "webhook") {
      throw invalidValue(`Invalid value for: type (${String(body.type ?? "")}); must be web_hook or webhook`);
    }
    const address = checkAddress(body.address, options);
    const token = body.token;
    if (token !== undefined && (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH)) {
      throw invalidValue(`Invalid value for: token (at most ${MAX_TOKEN_LENGTH} characters)`);
    }
    const now = state.now();
    const expiration = channelExpiration(body, now);
    // Nothing below awaits, so the uniqueness check and the new channel cannot interleave with another watch.
    const clash = state.channels.find(
      (channel) => channel.id === id && channel.clientId === clientId && isChannelLive(channel, now),
    );
    if (clash) {
      throw new ApiError(400, { reason: "channelIdNotUnique", message: `Channel id ${id} not unique` });
    }
    const channel: WatchChannel = {
      id,
      clientId,
      account,
      calendarId: view.calendar.id,
      resourceId: view.calendar.resourceId,
      resourceUri: `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events?alt=json`,
      address,
      ...(typeof token === "string" ? { token } : {}),
      expiration,
      stopped: false,
      messageNumber: 0,
    };
    state.channels.push(channel);
    deps.notifier.send(channel, "sync", deps.background);
    return jsonResponse({
      kind: "api#channel",
      id: channel.id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
      ...(channel.token !== undefined ? { token: channel.token } : {}),
      expiration: String(channel.expiration),
    });
  });
}

// Google names the project in this message; the emulator derives a stable 12-digit number from the client id.
function projectNumber(clientId: string): string {
  let hash = 0;
  for (const char of clientId) hash = (hash * 31 + char.charCodeAt(0)) % 1e12;
  return String(hash).padStart(12, "1");
}

/** `POST /calendar/v3/channels/stop`: stops a live channel the caller opened; 204, or 404 for anything else. */
export async function handleStopRequest(request: Request, url: URL, deps: CalendarDeps): Promise<Response> {
  const { state } = deps;
  const auth = authorizeCalendarRequest(request, url, state, "channels.stop");
  if (!auth.ok) return auth.response;
  const { account, clientId } = auth.token;
  return answerApiErrors(async () => {
    const body = await readJsonObject(request);
    const id = typeof body.id === "string" ? body.id : "";
    const now = state.now();
    const channel = state.channels.find(
      (candidate) =>
        candidate.id === id &&
        candidate.clientId === clientId &&
        candidate.account === account &&
        candidate.resourceId === body.resourceId &&
        isChannelLive(candidate, now),
    );
    if (!channel) throw notFoundError(`Channel '${id}' not found for project '${projectNumber(clientId)}'`);
    channel.stopped = true;
    return new Response(null, { status: 204 });
  });
}
