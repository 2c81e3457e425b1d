// Asks "does a NATS server answer at host:port?" the cheapest way: a NATS server greets every TCP client
// with an `INFO {json}` line before anything else, so no client library or credentials are needed.
import { connect } from "node:net";

/** What the server's INFO line says (the fields the host uses). */
export interface NatsServerInfo {
  readonly serverId: string;
  readonly serverName: string | undefined;
  readonly version: string;
  /** True when the server runs JetStream. */
  readonly jetstream: boolean;
  /** True when the server requires TLS. */
  readonly tlsRequired: boolean;
}

/** The answer of {@link probeNats}. */
export type NatsProbe =
  | { readonly kind: "nats"; readonly info: NatsServerInfo }
  | { readonly kind: "nothing"; readonly reason: string }
  | { readonly kind: "other"; readonly reason: string };

/** Connects to `host:port`, reads the greeting and hangs up. Never throws. */
export function probeNats(host: string, port: number, timeoutMs = 2000): Promise<NatsProbe> {
  return new Promise<NatsProbe>((resolve) => {
    let buffer = "";
    let settled = false;
    const socket = connect({ host, port });
    const finish = (result: NatsProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        finish(
          buffer === "" && !socket.connecting
            ? {
                kind: "other",
                reason: `something accepts connections on ${host}:${port} but sends no NATS greeting`,
              }
            : { kind: "nothing", reason: `no answer from ${host}:${port} within ${timeoutMs} ms` },
        ),
      timeoutMs,
    );
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf("\r\n");
      if (end === -1 && buffer.length < 64 * 1024) return;
      const line = end === -1 ? buffer : buffer.slice(0, end);
      finish(parseGreeting(line, host, port));
    });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish({ kind: "nothing", reason: `${host}:${port}: ${error.code ?? error.message}` }),
    );
    socket.on("close", () => finish({ kind: "nothing", reason: `${host}:${port} closed the connection` }));
  });
}

function parseGreeting(line: string, host: string, port: number): NatsProbe {
  if (!line.startsWith("INFO ")) {
    return {
      kind: "other",
      reason: `${host}:${port} answers, but not as a NATS server (${JSON.stringify(line.slice(0, 40))})`,
    };
  }
  try {
    const info = JSON.parse(line.slice(5)) as Record<string, unknown>;
    return {
      kind: "nats",
      info: {
        serverId: String(info.server_id ?? ""),
        serverName: typeof info.server_name === "string" ? info.server_name : undefined,
        version: String(info.version ?? "unknown"),
        jetstream: info.jetstream === true,
        tlsRequired: info.tls_required === true,
      },
    };
  } catch {
    return { kind: "other", reason: `${host}:${port} sent a malformed NATS greeting` };
  }
}

/** Host and port of a NATS URL (`nats://h:p`, default port 4222); IPv6 brackets removed. */
export function natsAddress(url: string): { host: string; port: number } {
  const parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port: parsed.port === "" ? 4222 : Number(parsed.port) };
}
