/** The path the consent form posts to. */
export const CONSENT_APPROVE_PATH = "/o/oauth2/v2/auth/approve";

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: "Associate you with your personal info on Google",
  "https://www.googleapis.com/auth/userinfo.email": "See your primary Google Account email address",
  "https://www.googleapis.com/auth/userinfo.profile":
    "See your personal info, including any personal info you've made publicly available",
  "https://www.googleapis.com/auth/calendar.events": "View and edit events on all your calendars",
  "https://www.googleapis.com/auth/calendar": "See, edit, share, and permanently delete all your calendars",
  "https://www.googleapis.com/auth/calendar.events.freebusy":
    "See the availability on Google calendars you have access to",
  "https://www.googleapis.com/auth/calendar.freebusy": "View your availability in your calendars",
  "https://www.googleapis.com/auth/calendar.calendarlist.readonly":
    "See the list of Google calendars you're subscribed to",
  "https://www.googleapis.com/auth/calendar.readonly":
    "See and download any calendar you can access using your Google Calendar",
};

const STYLE = `body{font-family:system-ui,sans-serif;background:#f0f4f9;margin:0;padding:2rem;color:#1f1f1f}
main{max-width:34rem;margin:auto;background:#fff;border-radius:1.5rem;padding:2rem}
h1{font-size:1.5rem;font-weight:400}fieldset{border:0;padding:0;margin:1rem 0}label{display:block;margin:.4rem 0}
.emu{font-size:.8rem;color:#5f6368}.actions{display:flex;gap:1rem;justify-content:flex-end;margin-top:1.5rem}
button{border-radius:1.25rem;padding:.6rem 1.5rem;font-size:1rem;border:1px solid #747775;background:#fff;cursor:pointer}
#allow{background:#0b57d0;color:#fff;border-color:#0b57d0}code{word-break:break-all}`;

/** Escapes text for HTML element content and quoted attribute values. */
function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}<p class="emu">Google emulator (calendar-edge). No real Google account is involved.</p></main></body></html>`;
}

/** Google's "Error 400: redirect_uri_mismatch"-style page; `data-error` carries the code for tests. */
export function renderErrorPage(status: number, error: string, description: string): string {
  return page(
    `Error ${status}: ${error}`,
    `<h1 id="error-title">Access blocked: this request is invalid</h1>
<p id="error" data-error="${escapeHtml(error)}">Error ${status}: ${escapeHtml(error)}</p>
<p id="error-description">${escapeHtml(description)}</p>`,
  );
}

/** What the consent page shows. */
export interface ConsentPageOptions {
  clientName: string;
  /** The original authorization request parameters, posted back as hidden inputs. */
  hidden: ReadonlyArray<readonly [string, string]>;
  accounts: ReadonlyArray<{ email: string; name: string }>;
  selectedEmail: string | undefined;
  otherEmail: string;
  basicScopes: readonly string[];
  optionalScopes: readonly string[];
}

/** Stable id of a scope checkbox: `scope-` + the scope's last path segment with non-alphanumerics as `-`. */
function scopeCheckboxId(scope: string): string {
  const last = scope.split("/").pop() ?? scope;
  return `scope-${last.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/** The account chooser + consent form (see emulator/README.md for its field names). */
export function renderConsentPage(options: ConsentPageOptions): string {
  const hidden = options.hidden
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("\n");
  const accounts = options.accounts
    .map(
      (account, index) =>
        `<label><input type="radio" name="email" id="account-${index}" value="${escapeHtml(account.email)}"${
          account.email === options.selectedEmail ? " checked" : ""
        }> ${escapeHtml(account.name)} &lt;${escapeHtml(account.email)}&gt;</label>`,
    )
    .join("\n");
  const basic = options.basicScopes
    .map((scope) => `<li data-scope="${escapeHtml(scope)}">${escapeHtml(describeScope(scope))}</li>`)
    .join("");
  const optional = options.optionalScopes
    .map(
      (scope) =>
        `<label><input type="checkbox" name="granted_scope" id="${scopeCheckboxId(scope)}" value="${escapeHtml(
          scope,
        )}" checked> ${escapeHtml(describeScope(scope))}</label>`,
    )
    .join("\n");
  return page(
    `Sign in - Google Accounts`,
    `<h1>Sign in to continue to <span id="client-name">${escapeHtml(options.clientName)}</span></h1>
<form id="consent-form" method="post" action="${CONSENT_APPROVE_PATH}">
${hidden}
<fieldset id="accounts"><legend>Choose an account</legend>
${accounts}
<label for="other-email">Use another account</label>
<input type="email" name="other_email" id="other-email" placeholder="someone@example.com" value="${escapeHtml(
      options.otherEmail,
    )}">
</fieldset>
<fieldset id="scopes"><legend>${escapeHtml(options.clientName)} wants access to your Google Account</legend>
<ul>${basic}</ul>
${optional}
</fieldset>
<div class="actions">
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
</div>
</form>`,
  );
}

function describeScope(scope: string): string {
  return SCOPE_DESCRIPTIONS[scope] ?? scope;
}
