// Who may read the HTTP endpoints. They serve every link definition's values (real lattices keep provider
// credentials there), so beyond loopback they need a token: a bearer token for API clients, or — for a person
// with a browser — a session cookie the page obtains by exchanging the token once. Credentials are compared in
// constant time. On loopback with no token configured, everything is open, as it always was.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { ConfigurationError } from "@lattice-cache/core";
import { readSecretFile } from "@lattice-cache/plugin";
import type { CoreConfig } from "../config/core-settings.js";
import { httpTokenProblem } from "../config/core-settings.js";

/** Paths anyone may read: liveness and readiness probes carry nothing worth hiding. */
const ALWAYS_OPEN = new Set(["/healthz", "/readyz"]);

/** What the session cookie's value is derived from (with the token as key), so it is not the token itself. */
const SESSION_CONTEXT = "lattice-cache http session v1";

/** How the endpoints are guarded. */
export type HttpAccessMode =
  /** Loopback, no token: open (as before tokens existed). */
  | "loopback"
  /** Beyond loopback with `http.public`: open on purpose. */
  | "public"
  /** A token is configured: required (except on the open paths). */
  | "token";

/** Whether a request carries a credential, and whether it is the right one. */
export type CredentialVerdict = "ok" | "missing" | "wrong";

/** The access settings a {@link HttpAccess} is built from. */
export type HttpAccessConfig = Pick<CoreConfig, "http">;

/**
 * The access rule of one server. Build it with {@link HttpAccess.fromConfig} before listening: it reads
 * `http.tokenFile` and refuses a configuration that would expose the endpoints without meaning to.
 */
export class HttpAccess {
  private readonly tokenDigest: Buffer | undefined;
  private readonly sessionValue: string | undefined;
  private readonly sessionDigest: Buffer | undefined;

  private constructor(
    readonly mode: HttpAccessMode,
    token: string | undefined,
    private readonly metricsPublic: boolean,
  ) {
    if (token !== undefined) {
      this.tokenDigest = sha256(token);
      this.sessionValue = createHmac("sha256", token).update(SESSION_CONTEXT).digest("base64url");
      this.sessionDigest = sha256(this.sessionValue);
    }
  }

  /**
   * The access rule `config` asks for. Throws `ConfigurationError` when `http.tokenFile` cannot be read or
   * holds no acceptable token, and when `http.host` is beyond loopback with neither a token nor `http.public`.
   */
  static fromConfig(config: HttpAccessConfig): HttpAccess {
    const { http } = config;
    const token = http.token ?? (http.tokenFile === undefined ? undefined : readTokenFile(http.tokenFile));
    if (token !== undefined) return new HttpAccess("token", token, http.metricsPublic);
    if (isLoopback(http.host)) return new HttpAccess("loopback", undefined, http.metricsPublic);
    if (http.public) return new HttpAccess("public", undefined, http.metricsPublic);
    throw new ConfigurationError(
      `invalid configuration: http.host ${http.host} is reachable beyond this machine, and the HTTP endpoints ` +
        "show every link definition's values: set http.token (env LATTICE_HTTP_TOKEN, flag --http-token) or " +
        "http.tokenFile (env LATTICE_HTTP_TOKEN_FILE), or set http.public: true (env LATTICE_HTTP_PUBLIC=1) " +
        "if they may be public",
      { field: "http.token" },
    );
  }

  /** True when requests must carry the token (or the session cookie). */
  get required(): boolean {
    return this.mode === "token";
  }

  /**
   * True for the paths that carry no entry values and are read by probes and scrapers: `/healthz`, `/readyz`
   * and, with `http.metricsPublic`, `/metrics`. They never need a credential, and answer whatever Host the
   * request names.
   */
  isOpen(path: string): boolean {
    return ALWAYS_OPEN.has(path) || (path === "/metrics" && this.metricsPublic);
  }

  /** True when `path` needs a credential. */
  guards(path: string): boolean {
    return this.required && !this.isOpen(path);
  }

  /**
   * `Authorization: Bearer <token>`, else the session cookie named `cookieName`. Another scheme (a proxy's
   * Basic credentials passed along) is not ours to judge: the cookie decides then.
   */
  check(request: IncomingMessage, cookieName: string): CredentialVerdict {
    const bearer = /^Bearer[ \t]+(.+)$/i.exec(request.headers.authorization?.trim() ?? "");
    if (bearer) return this.isToken((bearer[1] as string).trim()) ? "ok" : "wrong";
    const cookie = readCookie(request.headers.cookie, cookieName);
    if (cookie === undefined) return "missing";
    return this.sessionDigest !== undefined && sameDigest(sha256(cookie), this.sessionDigest)
      ? "ok"
      : "wrong";
  }

  /** True when `given` is the token (constant time: equal-length digests). */
  isToken(given: string): boolean {
    return this.tokenDigest !== undefined && sameDigest(sha256(given), this.tokenDigest);
  }

  /**
   * The `Set-Cookie` value that lets a browser in after it presented the token: HttpOnly (scripts cannot read
   * it), SameSite=Strict (other sites cannot make the browser send it), for the whole origin, until the
   * browser closes. Its value is derived from the token, not the token.
   */
  sessionCookie(cookieName: string): string {
    if (this.sessionValue === undefined) throw new Error("no token configured: there is no session cookie");
    return `${cookieName}=${this.sessionValue}; Path=/; HttpOnly; SameSite=Strict`;
  }
}

/**
 * The session cookie's name on a server listening on `port`: browsers do not tell ports apart for cookies, so
 * a host (7411) and a bridge (7412) on one machine each need their own.
 */
export function sessionCookieName(port: number): string {
  return `lattice_session_${port}`;
}

/** True for addresses only this machine can reach: `127.0.0.0/8`, `::1`, `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) !== 6) return false;
  // The URL parser writes IPv6 in its shortest form: `::1`, and `::ffff:7f00:1` for `::ffff:127.0.0.1`.
  const short = new URL(`http://[${h}]/`).hostname;
  return short === "[::1]" || short.startsWith("[::ffff:7f");
}

function readTokenFile(path: string): string {
  return readSecretFile(path, "http.tokenFile", "token", httpTokenProblem);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Both are SHA-256 digests (32 bytes), so timingSafeEqual never throws on a length mismatch. */
function sameDigest(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}
