/** Values shared by vitest.config.ts (Node) and the tests (workerd). Not real credentials. */
export const TEST_ORIGIN = "https://calendar-edge.test";
export const TEST_CLIENT_ID = "calendar-edge-test.apps.googleusercontent.com";
export const TEST_CLIENT_SECRET = "emulator-test-secret";
export const TEST_REDIRECT_URI = `${TEST_ORIGIN}/oauth2callback/`;
/** base64 of 32 fixed bytes: a test-only key. */
export const TEST_ENCRYPTION_KEY = "dGVzdC1vbmx5LWtleS1ub3QtYS1zZWNyZXQtMzJieXQ=";
export const TEST_MAIL_FROM = "calendar@calendar-edge.test";
