import { ApiError } from "./google-errors.ts";

function invalidParameter(name: string, message: string): ApiError {
  return new ApiError(400, {
    reason: "invalidParameter",
    message,
    location: name,
    locationType: "parameter",
  });
}

/** A string parameter restricted to the discovery document's enum. */
export function enumParam(url: URL, name: string, allowed: readonly string[]): string | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  if (!allowed.includes(value)) {
    throw invalidParameter(name, `Invalid value '${value}'. Values must be one of: ${allowed.join(", ")}`);
  }
  return value;
}

/** A boolean parameter (`true` or `false`). */
export function booleanParam(url: URL, name: string): boolean | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  if (value !== "true" && value !== "false")
    throw invalidParameter(name, `Invalid boolean value: '${value}'.`);
  return value === "true";
}

/** An int32 parameter within `[min, max]`. */
export function integerParam(url: URL, name: string, min: number, max = 2 ** 31 - 1): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || number < min || number > max) {
    throw invalidParameter(
      name,
      `Invalid value '${value}'. Values must be within the range: [${min}, ${max}]`,
    );
  }
  return number;
}

/** The write parameters insert, patch, update and delete share (discovery: sendUpdates, conferenceDataVersion…). */
export function writeParams(url: URL, options: { conference: boolean }): { conferenceDataVersion: number } {
  enumParam(url, "sendUpdates", ["all", "externalOnly", "none"]);
  booleanParam(url, "sendNotifications");
  if (!options.conference) return { conferenceDataVersion: 0 };
  booleanParam(url, "supportsAttachments");
  integerParam(url, "maxAttendees", 1);
  return { conferenceDataVersion: integerParam(url, "conferenceDataVersion", 0, 1) ?? 0 };
}
