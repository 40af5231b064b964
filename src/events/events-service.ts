import { type BusyInterval, findConflicts } from "../availability/availability-service";
import type { Config } from "../config";
import type { Db } from "../db/client";
import type { EventRow } from "../db/schema";
import {
  deleteEvent,
  EtagMismatchError,
  getEvent,
  insertEvent,
  PRIMARY_CALENDAR,
  patchEvent,
} from "../google/calendar";
import { notFound, ProblemError, validationFailed } from "../http/problem";
import { planMail, planUpdateMail, queuedEmailStatus } from "../mail/outbox-plan";
import type { CreateEventInput, UpdateEventInput } from "../routes/events.schemas";
import { formatInZone } from "../time/zoned-time";
import type { TokenStore } from "../tokens/token-store";
import type { Account } from "../types";
import { announceEventChange } from "../webhooks/messages";
import { assertWritableCalendar } from "./calendar-access";
import { type Attendee, defaultSummary, type EventState, type StoredEvent, stateOfRow } from "./event-model";
import { normalizeParticipants, resolveTimes } from "./event-rules";
import * as repo from "./events-repo";
import { googleFieldsOf, toGoogleBody } from "./google-mapping";
import { fingerprint, googleEventIdFor, validateIdempotencyKey } from "./idempotency";
import { timeColumns } from "./time-columns";

/** What the events service works with. */
export interface EventsDeps {
  config: Config;
  db: Db;
  tokens: TokenStore;
}

/** What a completed write queued: outbox rows (for the mail queue) and webhook deliveries (webhook queue). */
export interface ChangeIds {
  mailIds: string[];
  webhookIds: string[];
}

/** A completed write: the event as stored now, and what it queued. */
export interface EventWrite extends ChangeIds {
  event: StoredEvent;
}

/** After this long an in-flight intent is considered abandoned and left to the reconciler. */
export const STALE_INTENT_MS = 120_000;

/** Errors after which Google certainly did not apply the write (it refused, or was never reached). */
const DEFINITE_FAILURES = new Set(["reauthorization_required", "google_rejected", "google_rate_limited"]);

/**
 * Creates an event exactly once. A create that must reserve something first (an Idempotency-Key, or a
 * slot with `if_free`) writes an intent row before Google and completes it after: two D1 round trips. A
 * plain create calls Google first (with an id nobody else can use) and then writes everything in one
 * batch (see `createDirect`). Either way any failure undoes what was done, or leaves it to the reconciler.
 */
export async function createEvent(
  deps: EventsDeps,
  account: Account,
  input: CreateEventInput,
  idempotencyKeyHeader: string | undefined,
): Promise<EventWrite & { created: boolean }> {
  const key = validateIdempotencyKey(idempotencyKeyHeader);
  const state = resolveCreate(input);
  const calendarId = input.calendar_id ?? PRIMARY_CALENDAR;
  // The fingerprint tells a retry from a reuse of the key with another body: without a key, nothing to tell.
  const requestHash = key ? await fingerprint(input) : null;
  if (!key && !input.if_free) return createDirect(deps, account, state, calendarId);

  let row: EventRow | undefined;
  if (key) {
    row = await repo.findByIdempotencyKey(deps.db, account.id, key);
    if (row) {
      if (row.requestHash !== requestHash) {
        throw new ProblemError("idempotency_key_reused", {
          detail: "This Idempotency-Key was used with a different request body.",
        });
      }
      if (row.pendingOp === "abandon") throw inProgress();
      if (row.pendingOp !== "create") {
        return { event: await mustFind(deps, account, row.id), mailIds: [], webhookIds: [], created: false };
      }
    }
  }
  if (!row) {
    await assertWritableCalendar(deps, account.id, calendarId);
    row = await writeIntent(deps, account, state, {
      calendarId,
      key,
      requestHash,
      ifFree: input.if_free === true,
    });
  }

  let google: Awaited<ReturnType<typeof insertEvent>>;
  try {
    google = await insertEvent(
      deps,
      account.id,
      { ...toGoogleBody(state, row.googleEventId, 0, row.id), id: row.googleEventId },
      row.calendarId,
    );
  } catch (err) {
    await undoCreate(deps, account, row, err);
    throw err;
  }
  const fields = googleFieldsOf(google.event, 0);
  const mail = planMail(row.id, fields.sequence, "created", state.participants);
  // The event as the batch below leaves it: the answer (no read-back on the request path) and the body of
  // its `event.created` webhook.
  const updatedAt = new Date().toISOString();
  const event: StoredEvent = {
    row: { ...row, ...fields, pendingOp: null, pendingPayload: null, pendingSince: null, updatedAt },
    participants: state.participants,
    attendees: state.participants.map((email) => ({ email, responseStatus: "needs_action" as const })),
    emails: mail.map(queuedEmailStatus),
  };
  let webhookIds: string[];
  try {
    const announce = await announceEventChange(deps.db, "event.created", event);
    ({ webhookIds } = await repo.completeCreate(deps.db, row.id, fields, mail, announce));
  } catch (err) {
    await undoCreate(deps, account, row, err);
    throw err;
  }
  return { event, mailIds: mail.map((m) => m.id), webhookIds, created: true };
}

/**
 * A create with nothing to reserve: Google first, then the row, participants, mail and webhooks in one D1
 * batch. The Google id is random, so no other request can meet it. What can go wrong between the two:
 * - Google fails certainly (refused, rate limited, no grant): nothing was written anywhere.
 * - Google's outcome is unknown (timeout, 5xx, lost connection), or the batch fails: an `abandon` row is
 *   left for the reconciler (it removes the Google event, also one that lands late) and the Google event
 *   is cancelled now where possible.
 * - The Worker dies after Google answered: the event carries this service's marker, so the sync, which
 *   sees every change of the calendar, finds it without a row and hands it to the reconciler
 *   (sync/apply-google-changes.ts).
 */
async function createDirect(
  deps: EventsDeps,
  account: Account,
  state: EventState,
  calendarId: string,
): Promise<EventWrite & { created: boolean }> {
  await assertWritableCalendar(deps, account.id, calendarId);
  const now = new Date().toISOString();
  const base = await newRow(account, state, { calendarId, key: undefined, requestHash: null, now });
  let google: Awaited<ReturnType<typeof insertEvent>>;
  try {
    google = await insertEvent(
      deps,
      account.id,
      { ...toGoogleBody(state, base.googleEventId, 0, base.id), id: base.googleEventId },
      calendarId,
    );
  } catch (err) {
    if (!(err instanceof ProblemError && DEFINITE_FAILURES.has(err.code)))
      await leaveToReconciler(deps, account, base);
    throw err;
  }
  const fields = googleFieldsOf(google.event, 0);
  const mail = planMail(base.id, fields.sequence, "created", state.participants);
  const event: StoredEvent = {
    row: { ...base, ...fields, updatedAt: new Date().toISOString() },
    participants: state.participants,
    attendees: state.participants.map((email) => ({ email, responseStatus: "needs_action" as const })),
    emails: mail.map(queuedEmailStatus),
  };
  let webhookIds: string[];
  try {
    const announce = await announceEventChange(deps.db, "event.created", event);
    ({ webhookIds } = await repo.insertCreated(deps.db, event.row, state.participants, mail, announce));
  } catch (err) {
    await leaveToReconciler(deps, account, base);
    throw err;
  }
  return { event, mailIds: mail.map((m) => m.id), webhookIds, created: true };
}

/**
 * After a direct create failed past Google: an `abandon` row tells the reconciler to make sure Google ends
 * up without the event (now, or once a slow insert lands), and the event is cancelled now where possible.
 * Each step on its own: with D1 down the cancellation still happens, with Google down the row still does.
 */
async function leaveToReconciler(deps: EventsDeps, account: Account, row: EventRow): Promise<void> {
  const deferred = (err: unknown) =>
    console.error(
      JSON.stringify({
        level: "warn",
        msg: "create rollback deferred",
        event_id: row.id,
        error: String(err),
      }),
    );
  await repo
    .insertAbandoned(deps.db, { ...row, pendingOp: "abandon", pendingSince: new Date().toISOString() })
    .catch(deferred);
  await deleteEvent(deps, account.id, row.googleEventId, row.calendarId).catch(deferred);
}

/** Reads one of the caller's events; pending creates and other accounts' events are 404. */
export async function getOwnEvent(deps: EventsDeps, account: Account, id: string): Promise<StoredEvent> {
  const event = await repo.findEvent(deps.db, account.id, id);
  if (!event || event.row.pendingOp === "create" || event.row.pendingOp === "abandon") {
    throw notFound(`No event with id ${JSON.stringify(id.slice(0, 64))}.`);
  }
  return event;
}

/** Reschedules or edits an event at Google and in D1, then mails every participant (and any removed). */
export async function updateEvent(
  deps: EventsDeps,
  account: Account,
  id: string,
  input: UpdateEventInput,
): Promise<EventWrite> {
  const current = await getOwnEvent(deps, account, id);
  const { row } = current;
  if (row.status === "cancelled") {
    throw new ProblemError("event_cancelled", { detail: "This event is cancelled and cannot be changed." });
  }
  assertNotInFlight(row);
  const next = resolveUpdate(stateOfRow(row, current.participants), input);
  const sequence = row.sequence + 1;
  const slot = { accountId: account.id, start: next.start.toISOString(), end: next.end.toISOString() };
  if (
    !(await repo.markPending(
      deps.db,
      row.id,
      "update",
      JSON.stringify(next),
      row.sequence,
      input.if_free ? slot : undefined,
    ))
  ) {
    if (input.if_free && !(await repo.findEvent(deps.db, account.id, row.id))?.row.pendingOp) {
      throw await slotUnavailable(deps, account.id, next, row.id);
    }
    throw inProgress();
  }
  if (input.if_free) {
    await guardSlotAtGoogle(
      deps,
      account.id,
      next,
      row.calendarId,
      {
        eventId: row.id,
        calendarId: row.calendarId,
        current: { start: Date.parse(row.startTime), end: Date.parse(row.endTime) },
      },
      () => repo.clearPending(deps.db, row.id),
    );
  }

  const body = toGoogleBody(next, row.googleEventId, sequence);
  const conference = next.conference !== row.conference;
  let google: Awaited<ReturnType<typeof patchEvent>>;
  try {
    try {
      google = await patchEvent(
        deps,
        account.id,
        row.googleEventId,
        body,
        { etag: row.etag, conference },
        row.calendarId,
      );
    } catch (err) {
      if (!(err instanceof EtagMismatchError)) throw err;
      // Someone edited the event in Google Calendar directly. This service owns the fields it writes, so
      // it applies them over the newer copy, keeping the sequence moving forward.
      const latest = await getEvent(deps, account.id, row.googleEventId, row.calendarId);
      const newer = Math.max(sequence, (latest?.sequence ?? 0) + 1);
      google = await patchEvent(
        deps,
        account.id,
        row.googleEventId,
        { ...body, sequence: newer },
        { conference },
        row.calendarId,
      );
    }
  } catch (err) {
    await settleFailedWrite(deps, row, err);
    throw err;
  }
  if (!google) {
    // Deleted in Google Calendar meanwhile: recorded as the sync would, announced (the cron sweep sends it).
    const at = new Date().toISOString();
    const gone: StoredEvent = {
      ...current,
      row: {
        ...row,
        status: "cancelled",
        cancelledBy: "google",
        changedInGoogleAt: at,
        sequence,
        pendingOp: null,
        pendingPayload: null,
        pendingSince: null,
        updatedAt: at,
      },
    };
    await repo.completeCancel(
      deps.db,
      row.id,
      sequence,
      [],
      await announceEventChange(deps.db, "event.cancelled", gone),
      "google",
    );
    throw new ProblemError("event_cancelled", { detail: "The event was deleted in Google Calendar." });
  }
  const fields = googleFieldsOf(google, sequence);
  const changes = { ...rowFieldsOf(next), ...fields };
  const mail = planUpdateMail(row.id, fields.sequence, next.participants, current.participants);
  const attendees = keepAnswers(next.participants, current.attendees);
  const updatedAt = new Date().toISOString();
  const event: StoredEvent = {
    row: { ...row, ...changes, pendingOp: null, pendingPayload: null, pendingSince: null, updatedAt },
    participants: next.participants,
    attendees,
    emails: [...current.emails, ...mail.map(queuedEmailStatus)],
  };
  const announce = await announceEventChange(deps.db, "event.updated", event);
  const { webhookIds } = await repo.completeUpdate(deps.db, row.id, changes, attendees, mail, announce);
  return { event, mailIds: mail.map((m) => m.id), webhookIds };
}

/** Cancels an event at Google (already gone counts as done) and mails the participants. Idempotent. */
export async function cancelEvent(deps: EventsDeps, account: Account, id: string): Promise<ChangeIds> {
  const current = await getOwnEvent(deps, account, id);
  const { row } = current;
  if (row.status === "cancelled") return { mailIds: [], webhookIds: [] };
  assertNotInFlight(row);
  if (!(await repo.markPending(deps.db, row.id, "cancel", null, row.sequence))) throw inProgress();
  try {
    await deleteEvent(deps, account.id, row.googleEventId, row.calendarId);
  } catch (err) {
    await settleFailedWrite(deps, row, err);
    throw err;
  }
  const sequence = row.sequence + 1;
  const mail = planMail(row.id, sequence, "cancelled", current.participants);
  const cancelled: StoredEvent = {
    ...current,
    row: {
      ...row,
      status: "cancelled",
      cancelledBy: "api",
      sequence,
      pendingOp: null,
      pendingPayload: null,
      pendingSince: null,
      updatedAt: new Date().toISOString(),
    },
    emails: [...current.emails, ...mail.map(queuedEmailStatus)],
  };
  const announce = await announceEventChange(deps.db, "event.cancelled", cancelled);
  const { webhookIds } = await repo.completeCancel(deps.db, row.id, sequence, mail, announce);
  return { mailIds: mail.map((m) => m.id), webhookIds };
}

/** The stored state a pending update payload describes. */
export function parsePendingState(payload: string): EventState {
  const raw = JSON.parse(payload) as EventState & { start: string; end: string };
  return { ...raw, start: new Date(raw.start), end: new Date(raw.end) };
}

/** Row columns for a state. */
export function rowFieldsOf(state: EventState) {
  return {
    summary: state.summary,
    description: state.description,
    location: state.location,
    ...timeColumns(state.start, state.end, state.timeZone),
    conference: state.conference,
  };
}

function resolveCreate(input: CreateEventInput): EventState {
  const times = resolveTimes({
    start_time: input.start_time,
    end_time: input.end_time,
    time_zone: input.time_zone ?? "UTC",
  });
  if ("errors" in times) throw validationFailed(times.errors);
  const participants = normalizeParticipants(input.participants);
  return {
    summary: input.summary ?? defaultSummary(participants.length),
    description: input.description ?? null,
    location: input.location ?? null,
    participants,
    start: times.start,
    end: times.end,
    timeZone: times.timeZone,
    conference: input.conference ?? null,
  };
}

function resolveUpdate(current: EventState, input: UpdateEventInput): EventState {
  const timeZone = input.time_zone ?? current.timeZone;
  // A new zone alone keeps the instants; new wall-clock times are read in the (new) zone.
  const times = resolveTimes({
    start_time: input.start_time ?? current.start.toISOString(),
    end_time: input.end_time ?? current.end.toISOString(),
    time_zone: timeZone,
  });
  if ("errors" in times) throw validationFailed(times.errors);
  return {
    summary: input.summary ?? current.summary,
    description: input.description !== undefined ? input.description : current.description,
    location: input.location !== undefined ? input.location : current.location,
    participants: input.participants ? normalizeParticipants(input.participants) : current.participants,
    start: times.start,
    end: times.end,
    timeZone: times.timeZone,
    conference: input.conference !== undefined ? input.conference : current.conference,
  };
}

/** A new event's row, settled (no write in flight); the Google id derives from the key, else is random. */
async function newRow(
  account: Account,
  state: EventState,
  options: { calendarId: string; key: string | undefined; requestHash: string | null; now: string },
): Promise<EventRow> {
  return {
    id: crypto.randomUUID(),
    accountId: account.id,
    organizerEmail: account.email,
    googleEventId: await googleEventIdFor(account.id, options.key),
    calendarId: options.calendarId,
    icalUid: null,
    status: "confirmed",
    cancelledBy: null,
    changedInGoogleAt: null,
    ...rowFieldsOf(state),
    htmlLink: null,
    meetUrl: null,
    etag: null,
    sequence: 0,
    idempotencyKey: options.key ?? null,
    requestHash: options.requestHash,
    pendingOp: null,
    pendingPayload: null,
    pendingSince: null,
    createdAt: options.now,
    updatedAt: options.now,
  };
}

async function writeIntent(
  deps: EventsDeps,
  account: Account,
  state: EventState,
  options: { calendarId: string; key: string | undefined; requestHash: string | null; ifFree: boolean },
): Promise<EventRow> {
  const { key } = options;
  const now = new Date().toISOString();
  const row: EventRow = {
    ...(await newRow(account, state, { ...options, now })),
    pendingOp: "create",
    pendingSince: now,
  };
  try {
    if (!options.ifFree) {
      await repo.insertIntent(deps.db, row, state.participants);
      return row;
    }
    // The intent is the serialisation point: of concurrent bookings of overlapping slots, exactly one row
    // is written. Google's free/busy is asked only by the one that holds the slot.
    if (!(await repo.insertIntentIfFree(deps.db, row, state.participants))) {
      throw await slotUnavailable(deps, account.id, state);
    }
    await guardSlotAtGoogle(
      deps,
      account.id,
      state,
      row.calendarId,
      { eventId: row.id, calendarId: row.calendarId },
      () => repo.deleteIntent(deps.db, row.id),
    );
    return row;
  } catch (err) {
    if (err instanceof ProblemError && err.code === "slot_unavailable") throw err;
    // A concurrent request with the same key won the insert: answer from its row.
    if (key && (await repo.findByIdempotencyKey(deps.db, account.id, key))) throw inProgress();
    throw err;
  }
}

/**
 * Undoes a create that failed after the intent was written. If Google certainly has nothing, the intent
 * is dropped. Otherwise (timeout, 5xx, lost connection, D1 failure) Google may hold the event, now or
 * once a slow request lands: the Google event is cancelled now where possible, and the intent is marked
 * `abandon` so the reconciler checks again later. Either way the event ends up in both stores or neither.
 */
async function undoCreate(deps: EventsDeps, account: Account, row: EventRow, cause: unknown): Promise<void> {
  const deferred = (err: unknown) =>
    console.error(
      JSON.stringify({
        level: "warn",
        msg: "create rollback deferred to reconciler",
        event_id: row.id,
        error: String(err),
      }),
    );
  if (cause instanceof ProblemError && DEFINITE_FAILURES.has(cause.code)) {
    await repo.deleteIntent(deps.db, row.id).catch(deferred);
    return;
  }
  // Each step on its own: with D1 down the intent stays `create`, and the reconciler then finds the Google
  // event cancelled by the second step and drops the intent (neither), or, if that step failed too, finds it
  // live and completes it (both).
  await repo.markPending(deps.db, row.id, "abandon", null, row.sequence).catch(deferred);
  await deleteEvent(deps, account.id, row.googleEventId, row.calendarId).catch(deferred);
}

/**
 * After a failed update/cancel at Google: a definite refusal rolls the intent back now; an ambiguous one
 * (timeout, 5xx, lost connection) stays for the reconciler, which follows whatever Google ended up with.
 */
async function settleFailedWrite(deps: EventsDeps, row: EventRow, cause: unknown): Promise<void> {
  if (cause instanceof ProblemError && DEFINITE_FAILURES.has(cause.code)) {
    await repo.clearPending(deps.db, row.id).catch(() => undefined);
  }
}

/**
 * The participants after a change, each with the answer already recorded (a new participant has not
 * answered). The sync records later answers as Google reports them.
 */
export function keepAnswers(emails: readonly string[], previous: readonly Attendee[]): Attendee[] {
  return emails.map((email) => ({
    email,
    responseStatus: previous.find((a) => a.email === email)?.responseStatus ?? "needs_action",
  }));
}

/**
 * Asks Google's free/busy (the event's calendar and the primary one) whether the slot is free; if not,
 * runs `release` (the slot this request holds in D1) and throws 409 `slot_unavailable`. A failure to ask
 * releases too, and is thrown as is.
 */
async function guardSlotAtGoogle(
  deps: EventsDeps,
  accountId: string,
  state: EventState,
  calendarId: string,
  self: { eventId: string; calendarId: string; current?: { start: number; end: number } },
  release: () => Promise<unknown>,
): Promise<void> {
  let conflicts: BusyInterval[];
  try {
    const calendars = [...new Set([calendarId, PRIMARY_CALENDAR])];
    conflicts = await findConflicts(deps, accountId, { start: state.start, end: state.end }, calendars, self);
  } catch (err) {
    await release();
    throw err;
  }
  if (conflicts.length > 0) {
    await release();
    throw slotUnavailableProblem(conflicts, state.timeZone);
  }
}

/** 409 naming the own bookings that hold the slot (the conditional write lost to them). */
async function slotUnavailable(
  deps: EventsDeps,
  accountId: string,
  state: EventState,
  excludeId?: string,
): Promise<ProblemError> {
  const held = await repo.findHeldIntervals(
    deps.db,
    accountId,
    { start: state.start.toISOString(), end: state.end.toISOString() },
    excludeId,
  );
  return slotUnavailableProblem(
    held.map((h) => ({
      start: Date.parse(h.start),
      end: Date.parse(h.end),
      source: "calendar-edge" as const,
      calendarId: h.calendarId,
      eventId: h.eventId,
    })),
    state.timeZone,
  );
}

function slotUnavailableProblem(conflicts: readonly BusyInterval[], timeZone: string): ProblemError {
  return new ProblemError("slot_unavailable", {
    detail: `The slot is not free: ${conflicts.length} conflicting interval${conflicts.length === 1 ? "" : "s"}.`,
    extensions: {
      conflicts: conflicts.map((c) => ({
        start: formatInZone(new Date(c.start), timeZone),
        end: formatInZone(new Date(c.end), timeZone),
        source: c.source,
        calendar_id: c.calendarId,
        ...(c.eventId ? { event_id: c.eventId } : {}),
      })),
    },
  });
}

function assertNotInFlight(row: EventRow): void {
  if (row.pendingOp && Date.now() - Date.parse(row.pendingSince ?? "") < STALE_INTENT_MS) throw inProgress();
}

function inProgress(): ProblemError {
  return new ProblemError("request_in_progress", {
    detail: "Another change to this event is in progress. Retry in a moment.",
    headers: { "retry-after": "2" },
  });
}

async function mustFind(deps: EventsDeps, account: Account, id: string): Promise<StoredEvent> {
  const event = await repo.findEvent(deps.db, account.id, id);
  if (!event) throw new ProblemError("internal_error", { internal: `event ${id} vanished after write` });
  return event;
}
