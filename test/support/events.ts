import { api } from "./app";

/** A valid create body; override any field. */
export function eventBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    participants: ["ada@example.com", "grace@example.com"],
    start_time: "2026-12-01T10:00:00+01:00",
    end_time: "2026-12-01T11:00:00+01:00",
    time_zone: "Europe/Berlin",
    summary: "Planning",
    ...overrides,
  };
}

export interface EventJson {
  id: string;
  google_event_id: string;
  calendar_id: string;
  ical_uid: string;
  status: "confirmed" | "cancelled";
  cancelled_by: "api" | "google" | null;
  summary: string;
  description: string | null;
  location: string | null;
  participants: string[];
  attendees: { email: string; response_status: "needs_action" | "accepted" | "declined" | "tentative" }[];
  start_time: string;
  end_time: string;
  time_zone: string;
  html_link: string | null;
  meet_url: string | null;
  changed_in_google_at: string | null;
  created_at: string;
  updated_at: string;
  emails: { to: string; kind: string; status: string; attempts: number; last_error: string | null }[];
}

export async function createEvent(
  token: string,
  overrides: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ res: Response; event: EventJson }> {
  const res = await api("/api/events/", { method: "POST", token, body: eventBody(overrides), headers });
  const event = res.headers.get("content-type")?.includes("json")
    ? ((await res.clone().json()) as EventJson)
    : (undefined as never);
  return { res, event };
}
