// Layer: contract over HTTP + emulator faults + cron + queue + MAILER (see fault-matrix.ts): create, and
// create needing a token refresh, under every Google fault; MAILER refusing a participant.
import { defineFaultMatrix, defineMailerFaults } from "./fault-matrix";

defineFaultMatrix(["create", "refresh"]);
defineMailerFaults();
