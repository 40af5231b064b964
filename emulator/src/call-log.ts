/** One call the emulator answered (or is answering: `status` is null until it has). */
export interface CallRecord {
  endpoint: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** HTTP status sent, 0 for a dropped connection, null while the call is in flight. */
  status: number | null;
  account: string | null;
  grantType?: string;
  faultId?: string;
  at: string;
}

/** The calls in arrival order, bounded so a long `npm run dev` session does not grow without end. */
export interface CallLog {
  start(record: CallRecord): CallRecord;
  list(filter: { account?: string; endpoint?: string }): CallRecord[];
}

const MAX_CALLS = 50_000;

/** An empty call log. */
export function createCallLog(): CallLog {
  const calls: CallRecord[] = [];
  return {
    start(record) {
      calls.push(record);
      if (calls.length > MAX_CALLS) calls.splice(0, calls.length - MAX_CALLS);
      return record;
    },
    list({ account, endpoint }) {
      return calls.filter(
        (call) =>
          (account === undefined || call.account === account) &&
          (endpoint === undefined || call.endpoint === endpoint),
      );
    },
  };
}
