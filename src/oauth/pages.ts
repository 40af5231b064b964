import { escapeHtml, renderPage } from "../http/html";
import type { ProblemError } from "../http/problem";
import type { ConnectedAccount } from "./callback";

/** The success page: the connected account and its API token, shown this once. */
export function renderConnectedPage(result: ConnectedAccount): string {
  return renderPage(
    "Google Calendar connected",
    `<h1>Google Calendar connected</h1>
<p>Signed in as <strong id="account-email">${escapeHtml(result.account.email)}</strong>.</p>
<p>Your API token:</p>
<code class="token" id="api-token">${escapeHtml(result.apiToken)}</code>
<p class="warn">Copy it now: it is shown only once and cannot be recovered. Send it as
<code>Authorization: Bearer &lt;token&gt;</code> to <code>/api/events/</code>.</p>`,
  );
}

/** An error page for the browser half of the flow, with a way to start again. */
export function renderConsentErrorPage(problem: ProblemError): string {
  return renderPage(
    problem.title,
    `<h1 class="err" id="error-title">${escapeHtml(problem.title)}</h1>
<p id="error-detail">${escapeHtml(problem.detail)}</p>
<p>Error code: <code id="error-code">${escapeHtml(problem.code)}</code></p>
<p><a class="button" href="/api/google-auth/">Try again</a></p>`,
  );
}
