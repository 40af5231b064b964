// Interval arithmetic on instants (epoch ms), half-open [start, end). Working on instants makes DST
// changes a non-issue: a gap is as long as the real time between its ends.

/** A half-open interval of epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

/** Sorted, with overlapping or touching intervals joined. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals
    .filter((i) => i.end > i.start)
    .toSorted((a, b) => a.start - b.start || a.end - b.end);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
    else merged.push({ ...interval });
  }
  return merged;
}

/** The parts of `window` no busy interval covers, each at least `minLengthMs` long. */
export function freeGaps(window: Interval, busy: readonly Interval[], minLengthMs: number): Interval[] {
  const gaps: Interval[] = [];
  let cursor = window.start;
  for (const interval of mergeIntervals(busy)) {
    if (interval.end <= cursor) continue;
    if (interval.start >= window.end) break;
    if (interval.start > cursor) gaps.push({ start: cursor, end: interval.start });
    cursor = Math.max(cursor, interval.end);
  }
  if (cursor < window.end) gaps.push({ start: cursor, end: window.end });
  return gaps.filter((gap) => gap.end - gap.start >= minLengthMs);
}

/** `interval` cut to `window`, or null when they do not overlap. */
export function clip(interval: Interval, window: Interval): Interval | null {
  const start = Math.max(interval.start, window.start);
  const end = Math.min(interval.end, window.end);
  return end > start ? { start, end } : null;
}

/** `intervals` with `hole` taken out of each (splitting where it falls inside one). */
export function subtract(intervals: readonly Interval[], hole: Interval): Interval[] {
  return intervals.flatMap((i) => {
    if (hole.end <= i.start || hole.start >= i.end) return [i];
    const parts: Interval[] = [];
    if (hole.start > i.start) parts.push({ start: i.start, end: hole.start });
    if (hole.end < i.end) parts.push({ start: hole.end, end: i.end });
    return parts;
  });
}

/** Whether two intervals share any instant. */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}
