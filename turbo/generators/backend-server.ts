// What `pnpm turbo gen backend` asks about the new backend's server after its name: the URL scheme its
// clients write (the backend's `url` option and the host's `<name>.url` setting accept it) and the executable
// the conformance test starts. Neither is derived from the name: a store's scheme is often not its name
// (etcd's is http) and its server rarely `<name>-server`; tooling/test-harness/README.md ("Other servers")
// shows a real one.

/** The scheme when none is given: says nothing about any store, and is valid in a URL. */
export const DEFAULT_URL_SCHEME = "tcp";

/** A URL scheme (RFC 3986), lowercase. */
const SCHEME = /^[a-z][a-z0-9+.-]*$/;
/** An executable name or path: nothing that needs quoting in a TypeScript string or a shell. */
const COMMAND = /^[\w./+@:-]+$/;

/** What the answer to the scheme prompt means: trimmed, without a trailing `://` or `:`; empty for the default. */
export function urlScheme(answer: unknown): string {
  const scheme = String(answer ?? "")
    .trim()
    .replace(/:(\/\/)?$/, "");
  return scheme === "" ? DEFAULT_URL_SCHEME : scheme;
}

/** `true` when `answer` names a URL scheme (empty: the default), else why not. */
export function checkUrlScheme(answer: unknown): true | string {
  const scheme = urlScheme(answer);
  return SCHEME.test(scheme)
    ? true
    : `"${scheme}" is not a URL scheme: a lowercase letter, then letters, digits, +, . or - (http, redis, tcp)`;
}

/** What the answer to the server-command prompt means: trimmed; empty when the test's server is written later. */
export function serverCommand(answer: unknown): string {
  return String(answer ?? "").trim();
}

/** `true` when `answer` is empty or an executable name or path, else why not. */
export function checkServerCommand(answer: unknown): true | string {
  const command = serverCommand(answer);
  return command === "" || COMMAND.test(command)
    ? true
    : `"${command}" is not an executable name or path (its arguments are written in the test, not here)`;
}
