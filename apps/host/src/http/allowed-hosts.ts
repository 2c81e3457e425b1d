// Which Host a request may name: the defence against DNS rebinding. A web page of another site can point its own
// name at 127.0.0.1 (or at an address of the host's network) and then read the endpoints as if it were the same
// site — the browser sends its name in the Host header. So the host answers only requests naming `localhost`, an
// IP address (an address literal cannot be rebound: a page with that origin is served from that address), the
// name `http.host` binds, or a name in `http.allowedHosts`.
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { type CoreConfig, HOST_NAME_PATTERN } from "../config/core-settings.js";

/** The settings an {@link AllowedHosts} is built from. */
export type AllowedHostsConfig = Pick<CoreConfig, "http">;

/** The names one server answers to (IP addresses are always among them). */
export class AllowedHosts {
  private readonly names: ReadonlySet<string>;

  /** `localhost`, the bound `host` when it is a name, and `more` (compared case-insensitively). */
  constructor(host: string, more: readonly string[] = []) {
    this.names = new Set(["localhost", ...[host, ...more].map(normalName)]);
  }

  /** The names `config.http` allows: `http.host` and `http.allowedHosts`. */
  static fromConfig(config: AllowedHostsConfig): AllowedHosts {
    return new AllowedHosts(config.http.host, config.http.allowedHosts ?? []);
  }

  /**
   * Why `request` is not for this server — a sentence for a 421 answer — or undefined when it is. The host
   * is the target's when the request line is in absolute form (`GET http://name/…`), else the Host header's;
   * the port is not compared (a proxy or a port forward may change it).
   */
  refusal(request: IncomingMessage): string | undefined {
    const authority = requestAuthority(request);
    if (authority === undefined || authority === "") {
      return "this request has no Host header; the host answers only requests that name it";
    }
    const name = hostOf(authority);
    if (name === undefined) return `the Host header ${shown(authority)} is not a host name`;
    if (isIP(name) !== 0 || this.names.has(name)) return undefined;
    return (
      `this host is not ${shown(name)} (the Host header of this request): if it is reached by that name, ` +
      "add the name to http.allowedHosts (env LATTICE_HTTP_ALLOWED_HOSTS)"
    );
  }
}

/** The authority a request names: the absolute-form target's, else the Host header. */
function requestAuthority(request: IncomingMessage): string | undefined {
  const target = request.url ?? "/";
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return request.headers.host;
  try {
    return new URL(target).host;
  } catch {
    return "";
  }
}

/** The host of `name[:port]` or `[v6][:port]`, lower case without a final dot; undefined when malformed. */
function hostOf(authority: string): string | undefined {
  const text = authority.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d*)?$/.exec(text);
  if (v6) return isIP(v6[1] as string) === 6 ? (v6[1] as string) : undefined;
  const named = /^([^:[\]]+)(?::\d*)?$/.exec(text);
  if (!named || !HOST_NAME_PATTERN.test(named[1] as string)) return undefined;
  return normalName(named[1] as string);
}

function normalName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
}

/** A name from the request, quoted and cut short: it is the sender's text. */
function shown(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
