// Who may read the HTTP endpoints, over real HTTP against started StatusServers (memory backend): a token
// guards everything but /healthz, /readyz and (by default) /metrics; a browser exchanges it once for a
// session cookie; beyond loopback a host without a token refuses to start unless told the endpoints are public.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError, LatticeCache, MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/program.js";
import { createHostContainer } from "../composition/host-container.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { isLoopback } from "./http-access.js";
import { StatusServer } from "./status-server.js";

const TOKEN = `test-token-${randomBytes(12).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "lattice-http-access-"));
const servers: StatusServer[] = [];
const caches: LatticeCache[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(caches.map((c) => c.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** A StatusServer configured by `env` (LATTICE_HTTP_*), not started. */
function makeServer(env: Record<string, string>): StatusServer {
  const config = loadConfig({
    flags: { backend: "memory", httpPort: "0", prefix: "http-access", hostId: "host-access" },
    env,
    backends: ["memory"],
  });
  const server = createHostContainer(config, { logger: createHostLogger("silent") }).resolve(StatusServer);
  servers.push(server);
  return server;
}

/** A started server serving a ready cache; its base URL on loopback. */
async function startServing(env: Record<string, string>): Promise<string> {
  const server = makeServer(env);
  const { port } = await server.start();
  const cache = await LatticeCache.open({
    backend: new MemoryBackend(new MemoryStore()),
    hostId: "host-access",
  });
  caches.push(cache);
  server.attach(cache);
  await cache.ready(5000);
  return `http://127.0.0.1:${port}`;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

async function get(url: string, init: RequestInit = {}): Promise<Answer> {
  const controller = new AbortController();
  const response = await fetch(url, { redirect: "manual", signal: controller.signal, ...init });
  // /events never ends: its head is the answer.
  if (response.headers.get("content-type")?.includes("text/event-stream")) {
    controller.abort();
    return { status: response.status, headers: response.headers, body: "" };
  }
  return { status: response.status, headers: response.headers, body: await response.text() };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const GUARDED = ["/status", "/entries", "/events", "/lattice"];

describe("with http.token set (here on loopback: a configured token is required there too)", () => {
  let base: string;

  beforeAll(async () => {
    base = await startServing({ LATTICE_HTTP_TOKEN: TOKEN });
  });

  it("answers 401 with a Bearer challenge to requests without a credential", async () => {
    for (const path of GUARDED) {
      const r = await get(`${base}${path}`);
      expect(r.status, path).toBe(401);
      expect(r.headers.get("www-authenticate"), path).toBe('Bearer realm="lattice"');
      expect(JSON.parse(r.body).error, path).toContain("Authorization: Bearer");
    }
  });

  it("answers 401 (invalid_token) to a wrong bearer token and to a wrong session cookie", async () => {
    for (const path of GUARDED) {
      const wrong = await get(`${base}${path}`, bearer(`${TOKEN}x`));
      expect(wrong.status, path).toBe(401);
      expect(wrong.headers.get("www-authenticate"), path).toBe(
        'Bearer realm="lattice", error="invalid_token"',
      );
    }
    const port = new URL(base).port;
    const forged = await get(`${base}/status`, { headers: { cookie: `lattice_session_${port}=${TOKEN}` } });
    expect(forged.status).toBe(401);
  });

  it("serves /status, /entries, /events and /lattice to the right bearer token", async () => {
    for (const path of GUARDED) expect((await get(`${base}${path}`, bearer(TOKEN))).status, path).toBe(200);
    const events = await get(`${base}/events`, bearer(TOKEN));
    expect(events.headers.get("content-type")).toContain("text/event-stream");
    expect(JSON.parse((await get(`${base}/status`, bearer(TOKEN))).body)).toMatchObject({ state: "live" });
  });

  it("leaves /healthz and /readyz open, and /metrics too (http.metricsPublic defaults to true)", async () => {
    expect((await get(`${base}/healthz`)).status).toBe(200);
    expect((await get(`${base}/readyz`)).status).toBe(200);
    const metrics = await get(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain("lattice_cache_state");
  });

  it("answers / without a credential with the sign-in page (401), which holds no lattice data", async () => {
    const page = await get(`${base}/`);
    expect(page.status).toBe(401);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("www-authenticate")).toBe('Bearer realm="lattice"');
    expect(page.body).toContain('<form method="post" action="login"');
    expect(page.body).not.toContain("host-access");
  });

  it("/?token= exchanges the token for an HttpOnly, SameSite=Strict cookie and redirects to the page without it", async () => {
    const exchange = await get(`${base}/?token=${encodeURIComponent(TOKEN)}`);
    expect(exchange.status).toBe(303);
    expect(exchange.headers.get("location")).toBe("./");
    expect(exchange.headers.get("referrer-policy")).toBe("no-referrer");
    const setCookie = exchange.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^lattice_session_\d+=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0] as string;
    for (const path of ["/", ...GUARDED]) {
      expect((await get(`${base}${path}`, { headers: { cookie } })).status, path).toBe(200);
    }
    // The cookie is a browser's credential: it is no bearer token.
    expect((await get(`${base}/status`, bearer(cookie.split("=")[1] as string))).status).toBe(401);
    // A proxy's own credentials passed along do not hide the cookie.
    const viaProxy = { headers: { cookie, authorization: "Basic dXNlcjpwYXNz" } };
    expect((await get(`${base}/status`, viaProxy)).status).toBe(200);
  });

  it("a wrong /?token= gets the sign-in page again (401), with no cookie", async () => {
    const wrong = await get(`${base}/?token=not-the-token-at-all`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(wrong.body).toContain('data-testid="login-problem">That is not this host&#39;s token.');
  });

  it("the sign-in form (POST /login) sets the same cookie for the right token, and refuses a wrong one", async () => {
    const form = (token: string) =>
      get(`${base}/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    const right = await form(TOKEN);
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe("./");
    const cookie = (right.headers.get("set-cookie") ?? "").split(";")[0] as string;
    expect((await get(`${base}/entries`, { headers: { cookie } })).status).toBe(200);
    const wrong = await form("a-wrong-token-of-some-length");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });
});

describe("http.metricsPublic: false", () => {
  it("guards /metrics like the rest", async () => {
    const base = await startServing({ LATTICE_HTTP_TOKEN: TOKEN, LATTICE_HTTP_METRICS_PUBLIC: "false" });
    expect((await get(`${base}/metrics`)).status).toBe(401);
    expect((await get(`${base}/metrics`, bearer(TOKEN))).status).toBe(200);
    expect((await get(`${base}/healthz`)).status).toBe(200);
  });
});

describe("on loopback with no token (the default)", () => {
  it("serves everything without a credential, as before: ?token= is ignored and there is no /login", async () => {
    const base = await startServing({});
    for (const path of ["/", ...GUARDED, "/metrics"])
      expect((await get(`${base}${path}`)).status, path).toBe(200);
    const page = await get(`${base}/?token=anything-at-all-here`);
    expect(page.status).toBe(200);
    expect(page.headers.get("set-cookie")).toBeNull();
    expect((await get(`${base}/login`, { method: "POST", body: "token=x" })).status).toBe(404);
  });
});

describe("http.host beyond loopback", () => {
  it("without a token the host refuses to start, with a ConfigurationError naming the settings", async () => {
    const server = makeServer({ LATTICE_HTTP_HOST: "0.0.0.0" });
    const refused = await server.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConfigurationError);
    expect((refused as ConfigurationError).field).toBe("http.token");
    for (const name of [
      "http.token",
      "http.tokenFile",
      "http.public",
      "LATTICE_HTTP_TOKEN",
      "LATTICE_HTTP_PUBLIC",
    ]) {
      expect((refused as Error).message).toContain(name);
    }
    expect(server.listening).toBeUndefined();
  });

  it("with http.public: true it serves openly", async () => {
    const server = makeServer({ LATTICE_HTTP_HOST: "0.0.0.0", LATTICE_HTTP_PUBLIC: "1" });
    const { port } = await server.start();
    expect((await get(`http://127.0.0.1:${port}/status`)).status).toBe(503); // open, still connecting
  });

  it("with the token in http.tokenFile (surrounding blanks ignored) it requires that token", async () => {
    const file = join(dir, "http-token");
    writeFileSync(file, `  ${TOKEN}\n`);
    const server = makeServer({ LATTICE_HTTP_HOST: "0.0.0.0", LATTICE_HTTP_TOKEN_FILE: file });
    const { port } = await server.start();
    const base = `http://127.0.0.1:${port}`;
    expect((await get(`${base}/status`)).status).toBe(401);
    expect((await get(`${base}/status`, bearer(TOKEN))).status).toBe(503);
  });

  it("an unreadable, empty or short token file is a ConfigurationError naming http.tokenFile", async () => {
    const empty = join(dir, "empty-token");
    writeFileSync(empty, "\n");
    const short = join(dir, "short-token");
    writeFileSync(short, "tiny-secret\n");
    for (const file of [join(dir, "missing"), empty, short]) {
      const error = await makeServer({ LATTICE_HTTP_HOST: "0.0.0.0", LATTICE_HTTP_TOKEN_FILE: file })
        .start()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error, file).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).field, file).toBe("http.tokenFile");
      expect((error as Error).message).not.toContain("tiny-secret");
    }
  });

  it("counts 127.0.0.0/8, ::1 and localhost as loopback, and nothing else", () => {
    for (const host of [
      "127.0.0.1",
      "127.1.2.3",
      "::1",
      "[::1]",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
      "localhost",
    ]) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "::2", "example.com", "128.0.0.1"]) {
      expect(isLoopback(host), host).toBe(false);
    }
  });
});

describe("the token settings", () => {
  const load = (env: Record<string, string>) => () => loadConfig({ env, backends: ["memory"] });

  it("take the token from env, flag or file, but not from two places at once", () => {
    expect(loadConfig({ env: { LATTICE_HTTP_TOKEN: TOKEN }, backends: ["memory"] }).http.token).toBe(TOKEN);
    expect(loadConfig({ flags: { httpToken: TOKEN }, backends: ["memory"], env: {} }).http.token).toBe(TOKEN);
    expect(load({ LATTICE_HTTP_TOKEN: TOKEN, LATTICE_HTTP_TOKEN_FILE: "/etc/token" })).toThrow(
      /http\.tokenFile and http\.token both give the token/,
    );
  });

  it("refuse a token shorter than 16 characters without echoing it", () => {
    expect(load({ LATTICE_HTTP_TOKEN: "short-secret" })).toThrow(
      /http\.token must be at least 16 characters/,
    );
    expect(load({ LATTICE_HTTP_TOKEN: "short-secret" })).not.toThrow(/short-secret/);
  });

  it("`config print` masks the token", async () => {
    let stdout = "";
    const code = await runCli(["config", "print", "--json"], {
      io: {
        stdout: (t) => {
          stdout += t;
        },
        stderr: () => {},
        env: { LATTICE_HTTP_TOKEN: TOKEN },
      },
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).http).toMatchObject({ token: "***", public: false, metricsPublic: true });
    expect(stdout).not.toContain(TOKEN);
  });
});
