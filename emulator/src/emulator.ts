import { bearerAccount } from "./calendar-auth.ts";
import { type EventsMethod, type EventsPath, handleEventsRequest } from "./calendar-events.ts";
import { handleCalendarListRequest } from "./calendar-list.ts";
import { type CallLog, createCallLog } from "./call-log.ts";
import { handleStopRequest, handleWatchRequest } from "./channels.ts";
import { chosenEmail, handleConsentDecision, handleConsentPage } from "./consent.ts";
import { CONTROL_PREFIX, handleControlRequest } from "./control.ts";
import type { CalendarDeps } from "./event-store.ts";
import {
  answerWithFault,
  createFaultStore,
  type DropStyle,
  type Fault,
  type FaultEndpoint,
  type FaultStore,
} from "./faults.ts";
import { handleFreeBusyRequest } from "./freebusy.ts";
import type { ErrorDialect } from "./google-errors.ts";
import { decodePathSegment, jsonResponse, queryObject, readForm } from "./http.ts";
import { createIdTokenSigner, type IdTokenSigner } from "./id-tokens.ts";
import {
  type BackgroundWork,
  createNotifier,
  type NotificationMode,
  type Notifier,
} from "./notifications.ts";
import { CONSENT_APPROVE_PATH } from "./pages.ts";
import { findToken, handleRevokeRequest, revokeTokenParam } from "./revoke-endpoint.ts";
import { createState, type EmulatorState, normalizeEmail } from "./state.ts";
import { handleTokenRequest, identifyTokenRequest } from "./token-endpoint.ts";

export type { DropStyle } from "./faults.ts";
export type { BackgroundWork, NotificationMode } from "./notifications.ts";

/** An OAuth client registered with the emulator. */
export interface EmulatorClient {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs, compared as strings like Google does. */
  redirectUris: string[];
  /** Shown on the consent page; defaults to the client id. */
  name?: string;
}

/** How to build an emulator. */
export interface EmulatorOptions {
  clients: EmulatorClient[];
  /** Clock in epoch ms (code and token expiry, timestamps); defaults to `Date.now`. */
  now?: () => number;
  /** Accounts the consent page lists; defaults to alice@, bob@ and carol@example.com. */
  accounts?: Array<{ email: string; name: string }>;
  /**
   * How a `drop` fault fails (see `DropStyle`). Default `"unparseable-response"`: what makes the Worker's
   * `fetch` reject behind Miniflare's outboundService; use `"throw"` when calling `fetch` in-process.
   */
  dropStyle?: DropStyle;
  /**
   * How watch notifications leave (see emulator/README.md "Push notifications"). Default `"hold"`: kept until a
   * test takes them from the control surface. `"push"`: POSTed to the channel's address in the background.
   */
  notifications?: NotificationMode;
  /** Let events.watch accept `http://localhost` / `http://127.0.0.1` addresses (default false: HTTPS only). */
  allowHttpAddresses?: boolean;
  /** The fetch that delivers push notifications (default the global `fetch`); tests can capture them with it. */
  pushFetch?: (request: Request) => Promise<Response>;
}

/** A fake of Google's OAuth and Calendar v3 endpoints as one `fetch` function; dispatches on pathname only. */
export interface GoogleEmulator {
  /** Answers one request; `background` (a Worker's `ctx`) keeps push deliveries alive after the response. */
  fetch(request: Request, background?: BackgroundWork): Promise<Response>;
}

interface Deps {
  dropStyle: DropStyle;
  allowHttpAddresses: boolean;
  state: EmulatorState;
  signer: IdTokenSigner;
  faults: FaultStore;
  calls: CallLog;
  notifier: Notifier;
}

/** A Google endpoint the router matched: what it is called, who it acts for, and how to answer it. */
interface Route {
  endpoint: FaultEndpoint;
  dialect: ErrorDialect;
  identify(): Promise<{ account?: string | undefined; grantType?: string | undefined }>;
  handle(fault: Fault | undefined): Promise<Response>;
}

const EVENTS_PATH = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/;
const CALENDAR_LIST_PATH = /^\/calendar\/v3\/users\/me\/calendarList(?:\/([^/]+))?$/;
const COLLECTION_METHODS: Record<string, EventsMethod> = { GET: "list", POST: "insert" };
const ITEM_METHODS: Record<string, EventsMethod> = {
  GET: "get",
  PATCH: "patch",
  PUT: "update",
  DELETE: "delete",
};
const JWKS_CACHE_CONTROL = "public, max-age=21600, must-revalidate, no-transform";

function calendarRoute(
  endpoint: FaultEndpoint,
  request: Request,
  url: URL,
  deps: Deps,
  handle: () => Promise<Response>,
): Route {
  return {
    endpoint,
    dialect: "api",
    identify: async () => ({ account: bearerAccount(request, url, deps.state) }),
    handle,
  };
}

function eventsRoute(request: Request, url: URL, deps: Deps, calendarDeps: CalendarDeps): Route | undefined {
  const match = EVENTS_PATH.exec(url.pathname);
  if (!match?.[1]) return undefined;
  const calendarId = decodePathSegment(match[1]);
  if (!calendarId) return undefined;
  if (match[2] === "watch" && request.method === "POST") {
    return calendarRoute("events.watch", request, url, deps, () =>
      handleWatchRequest(calendarId, request, url, calendarDeps, deps),
    );
  }
  const eventId = match[2] === undefined ? undefined : decodePathSegment(match[2]);
  const method = (match[2] === undefined ? COLLECTION_METHODS : ITEM_METHODS)[request.method];
  if ((match[2] !== undefined && !eventId) || !method) return undefined;
  const path: EventsPath = eventId === undefined ? { calendarId } : { calendarId, eventId };
  return calendarRoute(`events.${method}`, request, url, deps, () =>
    handleEventsRequest(method, path, request, url, calendarDeps),
  );
}

function otherCalendarRoute(
  request: Request,
  url: URL,
  deps: Deps,
  calendarDeps: CalendarDeps,
): Route | undefined {
  const list = CALENDAR_LIST_PATH.exec(url.pathname);
  if (list && request.method === "GET") {
    const calendarId = list[1] === undefined ? undefined : decodePathSegment(list[1]);
    if (list[1] !== undefined && !calendarId) return undefined;
    return calendarRoute(
      calendarId === undefined ? "calendarList.list" : "calendarList.get",
      request,
      url,
      deps,
      () => handleCalendarListRequest(calendarId, request, url, deps.state),
    );
  }
  if (url.pathname === "/calendar/v3/freeBusy" && request.method === "POST") {
    return calendarRoute("freebusy.query", request, url, deps, () =>
      handleFreeBusyRequest(request, url, deps.state),
    );
  }
  if (url.pathname === "/calendar/v3/channels/stop" && request.method === "POST") {
    return calendarRoute("channels.stop", request, url, deps, () =>
      handleStopRequest(request, url, calendarDeps),
    );
  }
  return eventsRoute(request, url, deps, calendarDeps);
}

function matchRoute(request: Request, url: URL, deps: Deps, calendarDeps: CalendarDeps): Route | undefined {
  const { state, signer } = deps;
  switch (url.pathname) {
    case "/o/oauth2/v2/auth":
      return {
        endpoint: "auth",
        dialect: "page",
        identify: async () => ({ account: url.searchParams.get("login_hint") ?? undefined }),
        handle: async () => handleConsentPage(url, state),
      };
    case CONSENT_APPROVE_PATH:
      return {
        endpoint: "auth",
        dialect: "page",
        identify: async () => ({ account: chosenEmail(await readForm(request.clone())) }),
        handle: () => handleConsentDecision(request, state),
      };
    case "/token":
      return {
        endpoint: "token",
        dialect: "oauth",
        identify: async () => identifyTokenRequest(await readForm(request.clone()), state),
        handle: (fault) =>
          handleTokenRequest(request, deps, {
            ...(fault?.idToken ? { idToken: fault.idToken } : {}),
            ...(fault?.omitRefreshToken ? { omitRefreshToken: true } : {}),
          }),
      };
    case "/revoke":
      return {
        endpoint: "revoke",
        dialect: "oauth",
        identify: async () => {
          const token = await revokeTokenParam(request.clone(), url);
          return { account: token ? findToken(state, token)?.account : undefined };
        },
        handle: () => handleRevokeRequest(request, url, state),
      };
    case "/oauth2/v3/certs":
      return {
        endpoint: "certs",
        dialect: "api",
        identify: async () => ({}),
        handle: async () => jsonResponse(await signer.jwks(), 200, { "cache-control": JWKS_CACHE_CONTROL }),
      };
    default:
      return otherCalendarRoute(request, url, deps, calendarDeps);
  }
}

async function answerGoogleCall(request: Request, url: URL, route: Route, deps: Deps): Promise<Response> {
  const { account, grantType } = await route.identify();
  const normalized = account ? normalizeEmail(account) : undefined;
  const fault = deps.faults.take(route.endpoint, normalized, grantType);
  const call = deps.calls.start({
    endpoint: route.endpoint,
    method: request.method,
    path: url.pathname,
    query: queryObject(url),
    status: null,
    account: normalized ?? null,
    ...(grantType ? { grantType } : {}),
    ...(fault ? { faultId: fault.id } : {}),
    at: new Date(deps.state.now()).toISOString(),
  });
  try {
    const response = await answerWithFault(fault, route.dialect, deps.dropStyle, () => route.handle(fault));
    call.status = fault?.drop ? 0 : response.status;
    return response;
  } catch (error) {
    call.status = 0;
    throw error;
  }
}

/** Builds an emulator with its own state, signing key, faults and call log. */
export function createGoogleEmulator(options: EmulatorOptions): GoogleEmulator {
  const state = createState(options);
  const deps: Deps = {
    dropStyle: options.dropStyle ?? "unparseable-response",
    allowHttpAddresses: options.allowHttpAddresses ?? false,
    state,
    signer: createIdTokenSigner(),
    faults: createFaultStore(),
    calls: createCallLog(),
    notifier: createNotifier(state, {
      mode: options.notifications ?? "hold",
      ...(options.pushFetch ? { pushFetch: options.pushFetch } : {}),
    }),
  };
  return {
    async fetch(request, background) {
      const url = new URL(request.url);
      const calendarDeps: CalendarDeps = { state, notifier: deps.notifier, background };
      if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
        return handleControlRequest(request, url, { ...deps, ...calendarDeps });
      }
      const route = matchRoute(request, url, deps, calendarDeps);
      if (!route) {
        return new Response(`google-emulator: no route for ${request.method} ${url.href}\n`, {
          status: 404,
          headers: { "content-type": "text/plain; charset=utf-8" },
        });
      }
      return answerGoogleCall(request, url, route, deps);
    },
  };
}
