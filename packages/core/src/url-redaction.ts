// The one rule for showing a URL that may carry credentials — in output, logs, status and error messages —
// used by every backend and the host. A URL that does not parse is masked more, never less.

/** What a redacted secret reads as. */
export const REDACTED = "***";

/**
 * Query (and fragment) parameters whose value is a secret, compared case-insensitively after
 * percent-decoding the name: libpq's `password` and `sslpassword`, ioredis's `password`, and the usual names
 * of passwords, tokens and keys elsewhere. Not `sslkey`, `sslcert` or `sslrootcert`: libpq reads those as
 * file paths, which are no more secret than `nats.tls.keyFile`.
 */
export const SECRET_URL_PARAMETERS: readonly string[] = [
  "password",
  "sslpassword",
  "pass",
  "passwd",
  "pwd",
  "token",
  "auth",
  "auth_token",
  "access_token",
  "refresh_token",
  "secret",
  "client_secret",
  "api_key",
  "apikey",
];

/**
 * Schemes whose lone userinfo (`postgres://lattice@db/x`, no `:`) is a user name. Everywhere else it is
 * masked: NATS reads `nats://TOKEN@host` as a token, and an unknown scheme's may be one too.
 */
const USER_NAME_SCHEMES: ReadonlySet<string> = new Set(["postgres:", "postgresql:", "redis:", "rediss:"]);

const SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_URL_PARAMETERS);

/** `scheme://` at the start of a text. */
const SCHEME_PREFIX = /^\s*([a-z][a-z0-9+.-]*:)\/\//i;

/** A URL inside running text: a scheme, `://`, and everything up to a blank or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/gi;

/**
 * `text` (a URL) as it may be shown. The rule, for every URL the project prints or logs:
 *
 * - a password in the userinfo becomes `***`, its user name stays (`nats://ann:***@n:4222`);
 * - a userinfo without a password stays when the scheme reads it as a user name (`postgres:`, `postgresql:`,
 *   `redis:`, `rediss:`), and becomes `***` otherwise (`nats://***@n:4222`: NATS reads it as a token);
 * - the value of every query or fragment parameter named in {@link SECRET_URL_PARAMETERS} becomes `***`
 *   (`?sslmode=require&password=***`), whatever the case or percent-encoding of its name;
 * - everything else is kept as written; a URL with nothing to hide is returned unchanged.
 *
 * A text the URL parser rejects, or one with an `@` the parser did not read as the end of a userinfo (an
 * unencoded `/`, `?` or `#` in a password makes it do that), is masked by its shape instead: the secret
 * parameters, then everything between `://` (or the start) and the last `@` except a user name before a
 * `:`. So a malformed URL may show less than it could, but never a password.
 */
export function redactUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || hasStrayAt(url)) return redactByShape(text);
  let changed = false;
  if (url.password !== "") {
    url.password = REDACTED;
    changed = true;
  } else if (url.username !== "" && !USER_NAME_SCHEMES.has(url.protocol.toLowerCase())) {
    url.username = REDACTED;
    changed = true;
  }
  const search = redactParameters(url.search);
  if (search !== url.search) {
    url.search = search;
    changed = true;
  }
  const hash = redactParameters(url.hash);
  if (hash !== url.hash) {
    url.hash = hash;
    changed = true;
  }
  if (!changed) return text;
  // The parser adds a "/" path to some schemes (http:, ws:); keep the form the text had.
  const shown = url.toString();
  return shown.endsWith("/") && !text.trimEnd().endsWith("/") ? shown.slice(0, -1) : shown;
}

/**
 * `text` with every URL in it (`scheme://…` up to a blank or a quote) shown as {@link redactUrl} shows it:
 * for messages that may quote a URL, such as a connection error.
 */
export function redactUrlsInText(text: string): string {
  return text.replace(URL_IN_TEXT, (found) => redactUrl(found));
}

/** True when an `@` sits where the parser saw no userinfo (so it may end one the parser did not find). */
function hasStrayAt(url: URL): boolean {
  if (url.username !== "" || url.password !== "") return false;
  return `${url.host}${url.pathname}${url.search}${url.hash}`.includes("@");
}

/** `?a=1&password=x` → `?a=1&password=***` (also `#…`); the leading `?` or `#`, and other parameters, kept. */
function redactParameters(part: string): string {
  if (part.length < 2) return part;
  const body = part
    .slice(1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      return eq >= 0 && isSecretName(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join("&");
  return `${part[0]}${body}`;
}

/** True for a parameter name in {@link SECRET_URL_PARAMETERS}, however cased or percent-encoded. */
function isSecretName(raw: string): boolean {
  let name = raw.replace(/\+/g, " ");
  try {
    name = decodeURIComponent(name);
  } catch {
    // A malformed escape: compare the name as written.
  }
  return SECRET_NAMES.has(name.trim().toLowerCase());
}

/** The masking of a text the URL parser cannot be trusted with: secret parameters, then the userinfo. */
function redactByShape(text: string): string {
  const withoutParameters = text.replace(
    /([?&#;\s]|^)([^=&#?;\s]+)=([^&#\s]*)/g,
    (whole, lead: string, name: string) => (isSecretName(name) ? `${lead}${name}=${REDACTED}` : whole),
  );
  const scheme = SCHEME_PREFIX.exec(withoutParameters);
  const start = scheme ? scheme[0].length : 0;
  const at = withoutParameters.lastIndexOf("@");
  if (at < start) return withoutParameters;
  const userinfo = withoutParameters.slice(start, at);
  if (userinfo === "") return withoutParameters;
  const colon = userinfo.indexOf(":");
  const keepsUser =
    colon < 0 && scheme !== null && USER_NAME_SCHEMES.has((scheme[1] as string).toLowerCase());
  const shown = keepsUser ? userinfo : colon >= 0 ? `${userinfo.slice(0, colon)}:${REDACTED}` : REDACTED;
  return `${withoutParameters.slice(0, start)}${shown}${withoutParameters.slice(at)}`;
}
