// Layer: contract over HTTP + emulator faults + cron + queue + MAILER (see fault-matrix.ts): reschedule and
// cancel under every Google fault.
import { defineFaultMatrix } from "./fault-matrix";

defineFaultMatrix(["reschedule", "cancel"]);
