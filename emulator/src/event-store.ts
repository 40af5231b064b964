import type { CalendarRecord } from "./calendars.ts";
import type { EventResource } from "./event-resource.ts";
import type { BackgroundWork, Notifier } from "./notifications.ts";
import type { EmulatorState } from "./state.ts";

/** What code that changes events needs: the state, the notifier, and where to put background deliveries. */
export interface CalendarDeps {
  state: EmulatorState;
  notifier: Notifier;
  background?: BackgroundWork | undefined;
}

/**
 * Stores a new version of an event: the calendar's change counter goes up and stamps the event (sync tokens
 * find it by that stamp), and every live channel on the calendar gets an `exists` notification.
 */
export function saveEvent(deps: CalendarDeps, calendar: CalendarRecord, event: EventResource): void {
  calendar.events.set(event.id, event);
  calendar.changeCount += 1;
  calendar.eventChanges.set(event.id, calendar.changeCount);
  deps.notifier.calendarChanged(calendar.id, deps.background);
}
