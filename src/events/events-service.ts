import type { Config } from "../config";
import type { Db } from "../db/client";
import type { EventRow } from "../db/schema";
import { deleteEvent, EtagMismatchError, getEvent, insertEvent, patchEvent } from "../google/calendar";
import { notFound, ProblemError, validationFailed } from "../http/problem";
import { planMail, planUpdateMail } from "../mail/outbox-plan";
import type { CreateEventInput, UpdateEventInput } from "../routes/events.schemas";
import type { TokenStore } from "../tokens/token-store";
import type { Account } from "../types";
import {
  defaultSummary,
  type EmailStatus,
  type EventState,
  type StoredEvent,
  stateOfRow,
} from "./event-model";
import { normalizeParticipants, resolveTimes } from "./event-rules";
import type { NewOutboxRow } from "./events-repo";
import * as repo from "./events-repo";
import { googleFieldsOf, toGoogleBody } from "./google-mapping";
import { fingerprint, googleEventIdFor, validateIdempotencyKey } from "./idempotency";

/** What the events service works with. */
export interface EventsDeps {
  config: Config;
  db: Db;
  tokens: TokenStore;
}

/** A completed write: the event as stored now, and the outbox rows it queued (to put on the mail queue). */
export interface EventWrite {
  event: StoredEvent;
  mailIds: string[];
}

/** After this long an in-flight intent is considered abandoned and left to the reconciler. */
export const STALE_INTENT_MS = 120_000;

/** Errors after which Google certainly did not apply the write (it refused, or was never reached). */
const DEFINITE_FAILURES = new Set(["reauthorization_required", "google_rejected", "google_rate_limited"]);

/**
 * Creates an event exactly once: intent row first, then Google (our id, so a retry meets 409 and reads the
 * existing event), then one batch completing the row and queuing mail. Any failure undoes what was done.
 */
export async function createEvent(
  deps: EventsDeps,
  account: Account,
  input: CreateEventInput,
  idempotencyKeyHeader: string | undefined,
): Promise<EventWrite & { created: boolean }> {
  const key = validateIdempotencyKey(idempotencyKeyHeader);
  const state = resolveCreate(input);
  const requestHash = await fingerprint(input);

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
        return { event: await mustFind(deps, account, row.id), mailIds: [], created: false };
      }
    }
  }
  if (!row) row = await writeIntent(deps, account, state, key, requestHash);

  let google: Awaited<ReturnType<typeof insertEvent>>;
  try {
    google = await insertEvent(deps, account.id, {
      ...toGoogleBody(state, row.googleEventId, 0),
      id: row.googleEventId,
    });
  } catch (err) {
    await undoCreate(deps, account, row, err);
    throw err;
  }
  const fields = googleFieldsOf(google.event, 0);
  const mail = planMail(row.id, fields.sequence, "created", state.participants);
  let updatedAt: string;
  try {
    updatedAt = await repo.completeCreate(deps.db, row.id, fields, mail);
  } catch (err) {
    await undoCreate(deps, account, row, err);
    throw err;
  }
  // Answer from what was just written: no read-back on the request path.
  const event: StoredEvent = {
    row: { ...row, ...fields, pendingOp: null, pendingPayload: null, pendingSince: null, updatedAt },
    participants: state.participants,
    emails: mail.map(toEmailStatus),
  };
  return { event, mailIds: mail.map((m) => m.id), created: true };
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
  if (!(await repo.markPending(deps.db, row.id, "update", JSON.stringify(next), row.sequence))) {
    throw inProgress();
  }

  const body = toGoogleBody(next, row.googleEventId, sequence);
  const conference = next.conference !== row.conference;
  let google: Awaited<ReturnType<typeof patchEvent>>;
  try {
    try {
      google = await patchEvent(deps, account.id, row.googleEventId, body, { etag: row.etag, conference });
    } catch (err) {
      if (!(err instanceof EtagMismatchError)) throw err;
      // Someone edited the event in Google Calendar directly. This service owns the fields it writes, so
      // it applies them over the newer copy, keeping the sequence moving forward.
      const latest = await getEvent(deps, account.id, row.googleEventId);
      const newer = Math.max(sequence, (latest?.sequence ?? 0) + 1);
      google = await patchEvent(
        deps,
        account.id,
        row.googleEventId,
        { ...body, sequence: newer },
        { conference },
      );
    }
  } catch (err) {
    await settleFailedWrite(deps, row, err);
    throw err;
  }
  if (!google) {
    await repo.completeCancel(deps.db, row.id, sequence, []);
    throw new ProblemError("event_cancelled", { detail: "The event was deleted in Google Calendar." });
  }
  const fields = googleFieldsOf(google, sequence);
  const changes = { ...rowFieldsOf(next), ...fields };
  const mail = planUpdateMail(row.id, fields.sequence, next.participants, current.participants);
  const updatedAt = await repo.completeUpdate(deps.db, row.id, changes, next.participants, mail);
  const event: StoredEvent = {
    row: { ...row, ...changes, pendingOp: null, pendingPayload: null, pendingSince: null, updatedAt },
    participants: next.participants,
    emails: [...current.emails, ...mail.map(toEmailStatus)],
  };
  return { event, mailIds: mail.map((m) => m.id) };
}

/** Cancels an event at Google (already gone counts as done) and mails the participants. Idempotent. */
export async function cancelEvent(deps: EventsDeps, account: Account, id: string): Promise<string[]> {
  const current = await getOwnEvent(deps, account, id);
  const { row } = current;
  if (row.status === "cancelled") return [];
  assertNotInFlight(row);
  if (!(await repo.markPending(deps.db, row.id, "cancel", null, row.sequence))) throw inProgress();
  try {
    await deleteEvent(deps, account.id, row.googleEventId);
  } catch (err) {
    await settleFailedWrite(deps, row, err);
    throw err;
  }
  const sequence = row.sequence + 1;
  const mail = planMail(row.id, sequence, "cancelled", current.participants);
  await repo.completeCancel(deps.db, row.id, sequence, mail);
  return mail.map((m) => m.id);
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
    startTime: state.start.toISOString(),
    endTime: state.end.toISOString(),
    timeZone: state.timeZone,
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

async function writeIntent(
  deps: EventsDeps,
  account: Account,
  state: EventState,
  key: string | undefined,
  requestHash: string,
): Promise<EventRow> {
  const now = new Date().toISOString();
  const row: EventRow = {
    id: crypto.randomUUID(),
    accountId: account.id,
    organizerEmail: account.email,
    googleEventId: await googleEventIdFor(account.id, key),
    icalUid: null,
    status: "confirmed",
    ...rowFieldsOf(state),
    htmlLink: null,
    meetUrl: null,
    etag: null,
    sequence: 0,
    idempotencyKey: key ?? null,
    requestHash,
    pendingOp: "create",
    pendingPayload: null,
    pendingSince: now,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await repo.insertIntent(deps.db, row, state.participants);
    return row;
  } catch (err) {
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
  try {
    if (cause instanceof ProblemError && DEFINITE_FAILURES.has(cause.code)) {
      await repo.deleteIntent(deps.db, row.id);
      return;
    }
    await repo.markPending(deps.db, row.id, "abandon", null, row.sequence);
    await deleteEvent(deps, account.id, row.googleEventId);
  } catch (err) {
    console.error(
      JSON.stringify({
        level: "warn",
        msg: "create rollback deferred to reconciler",
        event_id: row.id,
        error: String(err),
      }),
    );
  }
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

function assertNotInFlight(row: EventRow): void {
  if (row.pendingOp && Date.now() - Date.parse(row.pendingSince ?? "") < STALE_INTENT_MS) throw inProgress();
}

function inProgress(): ProblemError {
  return new ProblemError("request_in_progress", {
    detail: "Another change to this event is in progress. Retry in a moment.",
    headers: { "retry-after": "2" },
  });
}

function toEmailStatus(row: NewOutboxRow): EmailStatus {
  return {
    to: row.recipient,
    kind: row.kind,
    status: "queued",
    attempts: 0,
    lastError: null,
    sequence: row.sequence,
  };
}

async function mustFind(deps: EventsDeps, account: Account, id: string): Promise<StoredEvent> {
  const event = await repo.findEvent(deps.db, account.id, id);
  if (!event) throw new ProblemError("internal_error", { internal: `event ${id} vanished after write` });
  return event;
}
