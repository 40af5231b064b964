import { htmlResponse, isEmailAddress, readForm, redirectResponse } from "./http.ts";
import { renderConsentPage, renderErrorPage } from "./pages.ts";
import { randomString } from "./random.ts";
import { isBasicScope, isKnownScope, normalizeScope, parseScopeParam } from "./scopes.ts";
import { activeGrant, type EmulatorState, ensureAccount, normalizeEmail } from "./state.ts";

const CODE_TTL_MS = 10 * 60 * 1000;
const PASSED_THROUGH = [
  "client_id",
  "redirect_uri",
  "response_type",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
  "access_type",
  "prompt",
  "include_granted_scopes",
  "login_hint",
  "nonce",
  "hd",
] as const;
const PROMPTS = new Set(["none", "consent", "select_account"]);

/** A validated authorization request. */
interface AuthRequest {
  clientId: string;
  clientName: string;
  redirectUri: string;
  scopes: string[];
  state: string | null;
  codeChallenge?: string;
  codeChallengeMethod?: "S256" | "plain";
  accessType: "online" | "offline";
  promptConsent: boolean;
  includeGrantedScopes: boolean;
  loginHint: string | null;
  nonce?: string;
}

type Validation = { ok: true; value: AuthRequest } | { ok: false; response: Response };

function errorPageResponse(status: number, error: string, description: string): Response {
  return htmlResponse(renderErrorPage(status, error, description), status);
}

function errorPage(status: number, error: string, description: string): Validation {
  return { ok: false, response: errorPageResponse(status, error, description) };
}

// Google never redirects for these errors: it shows a page, so a bad client or redirect URI can't be abused.
function validateAuthRequest(params: URLSearchParams, state: EmulatorState): Validation {
  const clientId = params.get("client_id");
  if (!clientId) return errorPage(400, "invalid_request", "Missing required parameter: client_id");
  const client = state.clients.get(clientId);
  if (!client) return errorPage(401, "invalid_client", "The OAuth client was not found.");
  const redirectUri = params.get("redirect_uri");
  if (!redirectUri) return errorPage(400, "invalid_request", "Missing required parameter: redirect_uri");
  if (!client.redirectUris.includes(redirectUri)) {
    return errorPage(
      400,
      "redirect_uri_mismatch",
      `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. Request details: redirect_uri=${redirectUri}`,
    );
  }
  const responseType = params.get("response_type");
  if (!responseType) return errorPage(400, "invalid_request", "Required parameter is missing: response_type");
  if (responseType !== "code") {
    return errorPage(
      400,
      "invalid_request",
      `Invalid response_type: ${responseType} (the emulator supports code)`,
    );
  }
  const scopes = parseScopeParam(params.get("scope"));
  if (scopes.length === 0) return errorPage(400, "invalid_request", "Missing required parameter: scope");
  const unknown = scopes.filter((scope) => !isKnownScope(scope));
  if (unknown.length > 0) {
    return errorPage(
      400,
      "invalid_scope",
      `Some requested scopes were invalid. {invalid=[${unknown.join(", ")}]}`,
    );
  }
  const codeChallenge = params.get("code_challenge") ?? undefined;
  const method = params.get("code_challenge_method") ?? (codeChallenge ? "plain" : undefined);
  if (method !== undefined && method !== "S256" && method !== "plain") {
    return errorPage(400, "invalid_request", `Invalid code_challenge_method value: ${method}`);
  }
  if (method !== undefined && !codeChallenge) {
    return errorPage(400, "invalid_request", "Missing required parameter: code_challenge");
  }
  if (codeChallenge !== undefined && !/^[A-Za-z0-9._~-]{43,128}$/.test(codeChallenge)) {
    return errorPage(400, "invalid_request", "Invalid code_challenge value.");
  }
  const accessType = params.get("access_type") ?? "online";
  if (accessType !== "online" && accessType !== "offline") {
    return errorPage(400, "invalid_request", `Invalid access_type: ${accessType}`);
  }
  const prompts = (params.get("prompt") ?? "").split(/\s+/).filter(Boolean);
  const badPrompt = prompts.find((prompt) => !PROMPTS.has(prompt));
  if (badPrompt) return errorPage(400, "invalid_request", `Invalid prompt: ${badPrompt}`);
  return {
    ok: true,
    value: {
      clientId,
      clientName: client.name ?? clientId,
      redirectUri,
      scopes,
      state: params.get("state"),
      ...(codeChallenge && method ? { codeChallenge, codeChallengeMethod: method } : {}),
      accessType,
      promptConsent: prompts.includes("consent"),
      includeGrantedScopes: params.get("include_granted_scopes") === "true",
      loginHint: params.get("login_hint"),
      ...(params.get("nonce") ? { nonce: params.get("nonce") as string } : {}),
    },
  };
}

/** `GET /o/oauth2/v2/auth`: the account chooser and consent page, or Google's error page. */
export function handleConsentPage(url: URL, state: EmulatorState): Response {
  const validation = validateAuthRequest(url.searchParams, state);
  if (!validation.ok) return validation.response;
  const auth = validation.value;
  const hint = auth.loginHint ? normalizeEmail(auth.loginHint) : undefined;
  const listed = state.chooserEmails.map((email) => state.accounts.get(email)).filter((a) => a !== undefined);
  const hintListed = hint !== undefined && state.chooserEmails.includes(hint);
  return htmlResponse(
    renderConsentPage({
      clientName: auth.clientName,
      hidden: PASSED_THROUGH.flatMap((name) => {
        const value = url.searchParams.get(name);
        return value === null ? [] : [[name, value] as const];
      }),
      accounts: listed,
      selectedEmail: hint === undefined ? state.chooserEmails[0] : hintListed ? hint : undefined,
      otherEmail: hint !== undefined && !hintListed ? hint : "",
      basicScopes: auth.scopes.filter(isBasicScope),
      optionalScopes: auth.scopes.filter((scope) => !isBasicScope(scope)),
    }),
  );
}

/** The account a consent submission names (`other_email` wins over `email`), for fault matching and logs. */
export function chosenEmail(form: URLSearchParams): string | undefined {
  const email = (form.get("other_email") ?? "").trim() || (form.get("email") ?? "").trim();
  return email ? normalizeEmail(email) : undefined;
}

/** `POST /o/oauth2/v2/auth/approve`: Allow → 302 with a code, Deny → 302 with `error=access_denied`. */
export async function handleConsentDecision(request: Request, state: EmulatorState): Promise<Response> {
  if (request.method !== "POST")
    return new Response("Method Not Allowed", { status: 405, headers: { allow: "POST" } });
  const form = await readForm(request);
  const validation = validateAuthRequest(form, state);
  if (!validation.ok) return validation.response;
  const auth = validation.value;
  const redirect = new URL(auth.redirectUri);
  const decision = form.get("decision");
  if (decision === "deny") {
    redirect.searchParams.set("error", "access_denied");
    if (auth.state !== null) redirect.searchParams.set("state", auth.state);
    return redirectResponse(redirect.href);
  }
  if (decision !== "allow")
    return errorPageResponse(400, "invalid_request", "decision must be allow or deny");
  const email = chosenEmail(form);
  if (!email || !isEmailAddress(email)) {
    return errorPageResponse(400, "invalid_request", "Choose an account or enter a valid email address.");
  }
  const account = ensureAccount(state, email);
  const ticked = new Set(form.getAll("granted_scope").map(normalizeScope));
  const grantedNow = auth.scopes.filter((scope) => isBasicScope(scope) || ticked.has(scope));

  let grant = activeGrant(state, account.email, auth.clientId);
  if (!grant) {
    grant = {
      id: crypto.randomUUID(),
      account: account.email,
      clientId: auth.clientId,
      scopes: [],
      refreshTokenIssued: false,
      revoked: false,
    };
    state.grants.set(grant.id, grant);
  }
  grant.scopes = [...new Set([...grant.scopes, ...grantedNow])];
  const codeScopes = auth.includeGrantedScopes ? grant.scopes : grantedNow;

  const code = `4/0A${randomString(72)}`;
  state.codes.set(code, {
    code,
    clientId: auth.clientId,
    redirectUri: auth.redirectUri,
    account: account.email,
    grantId: grant.id,
    scopes: codeScopes,
    ...(auth.codeChallenge && auth.codeChallengeMethod
      ? { codeChallenge: auth.codeChallenge, codeChallengeMethod: auth.codeChallengeMethod }
      : {}),
    accessType: auth.accessType,
    promptConsent: auth.promptConsent,
    ...(auth.nonce ? { nonce: auth.nonce } : {}),
    expiresAt: state.now() + CODE_TTL_MS,
    used: false,
  });
  if (auth.state !== null) redirect.searchParams.set("state", auth.state);
  redirect.searchParams.set("code", code);
  redirect.searchParams.set("scope", codeScopes.join(" "));
  redirect.searchParams.set("authuser", "0");
  redirect.searchParams.set("prompt", "consent");
  return redirectResponse(redirect.href);
}
