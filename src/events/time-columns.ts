import { offsetAt } from "../time/zoned-time";

/**
 * The time columns of an event row: instants (UTC ISO strings, which sort like the instants), the zone,
 * and the zone's offset at each, so that reads format times in the event's zone without Intl.
 */
export function timeColumns(start: Date, end: Date, timeZone: string) {
  return {
    startTime: start.toISOString(),
    endTime: end.toISOString(),
    timeZone,
    startOffset: Math.round(offsetAt(start, timeZone)),
    endOffset: Math.round(offsetAt(end, timeZone)),
  };
}
