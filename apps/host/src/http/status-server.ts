// The host's HTTP endpoints: /healthz, /readyz, /metrics, /status, /entries, /events, /lattice and the status
// page, guarded by http-access.ts (a token beyond loopback, or whenever one is configured) and allowed-hosts.ts
// (requests must name this host), every answer carrying security-headers.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { COLLECTION_NAMES, type CollectionName, errorText, type LatticeCache } from "@lattice-cache/core";
import type { StatusBus } from "@lattice-cache/plugin";
import { inject, injectable } from "tsyringe";
import { CONFIG, LOGGER, METRICS, STATUS_BUS_FACTORY } from "../composition/tokens.js";
import type { CoreConfig } from "../config/core-settings.js";
import type { HostLogger } from "../observability/host-logger.js";
import type { HostMetrics } from "../observability/host-metrics.js";
import { advertisedUrl } from "./advertised-address.js";
import { AllowedHosts } from "./allowed-hosts.js";
import { ChangeStream } from "./change-stream.js";
import { type CredentialVerdict, HttpAccess, sessionCookieName } from "./http-access.js";
import { LatticeWatch } from "./lattice-watch.js";
import { renderLoginPage } from "./login-page.js";
import { readinessOf } from "./readiness.js";
import { pagePolicy, SECURITY_HEADERS } from "./security-headers.js";
import { renderStatusPage } from "./status-page.js";

/** How often connected status pages get a fresh `status` event (state, lag, counts). */
const STATUS_TICK_MS = 2000;
/** The largest sign-in form body read, in bytes. */
const MAX_LOGIN_BODY = 8192;
/** What a refused `/events` request is told to wait before trying again, in seconds. */
const EVENTS_RETRY_AFTER_S = 10;

/** Where the server listens. */
export interface ListeningAddress {
  /** e.g. `http://127.0.0.1:7411`. */
  readonly url: string;
  /** The bound port (the chosen one when configured as 0). */
  readonly port: number;
  /** The address peers are told (`http.advertise`, or one they can reach for 0.0.0.0 / `::`). */
  readonly advertised: string;
}

/** A part of the HTTP answers contributed by what runs beside the replica (the migration bridge). */
export interface StatusSection {
  /** The `/status` field it fills, e.g. `bridge`. */
  readonly name: string;
  /** Its `/status` value, read on every request. */
  readonly status: () => unknown;
  /** False while it cannot serve: `/readyz` says 503 until every section is ready. Default: always ready. */
  readonly ready?: () => boolean;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/**
 * The HTTP side of a host. Starts before the cache is open (so /healthz answers and /readyz says 503
 * while connecting); {@link attach} hands it the cache once open.
 */
@injectable()
export class StatusServer {
  private readonly server: Server;
  private readonly stream = new ChangeStream();
  private readonly routes: Record<string, Handler>;
  /** POST routes: only `/login`, and only when a token is required. */
  private readonly postRoutes: Record<string, Handler> = {};
  private readonly startedAt = Date.now();
  private cache: LatticeCache | undefined;
  private problem: string | undefined;
  private closing = false;
  private detachChanges: (() => void) | undefined;
  private tick: NodeJS.Timeout | undefined;
  private address: ListeningAddress | undefined;
  private readonly sections: StatusSection[] = [];
  private readonly watch: LatticeWatch;
  private access: HttpAccess | undefined;
  private hosts: AllowedHosts | undefined;
  private cookieName = "";

  constructor(
    @inject(CONFIG) private readonly config: CoreConfig,
    @inject(LOGGER) private readonly logger: HostLogger,
    @inject(METRICS) private readonly metrics: HostMetrics,
    @inject(STATUS_BUS_FACTORY) createStatusBus: () => StatusBus | undefined,
  ) {
    this.watch = new LatticeWatch(createStatusBus, () => this.cache?.status());
    metrics.observeEventStreams(this.stream);
    this.routes = {
      "/": (_, res) => sendPage(res, 200, renderStatusPage()),
      "/healthz": (_, res) => sendJson(res, 200, { status: "ok" }),
      "/readyz": (_, res) => this.readyz(res),
      "/metrics": async (_, res) => send(res, 200, this.metrics.contentType, await this.metrics.render()),
      "/status": (_, res) => sendJson(res, this.cache ? 200 : 503, this.statusBody()),
      "/entries": (_, res) => this.entries(res),
      "/events": (_, res) => this.events(res),
      // Compact: the page fetches it every few seconds, histories included.
      "/lattice": async (_, res) =>
        send(res, 200, "application/json; charset=utf-8", `${JSON.stringify(await this.watch.view())}\n`),
    };
    // Node answers an HTTP/1.1 request without a Host header with 400 by itself; handle() refuses the rest.
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /**
   * Listens on `config.http` and resolves with the bound address (port 0 → the chosen port). Throws
   * `ConfigurationError` before listening when `http.host` is beyond loopback with neither a token nor
   * `http.public`, or when `http.tokenFile` cannot be read.
   */
  async start(): Promise<ListeningAddress> {
    const access = HttpAccess.fromConfig(this.config);
    this.access = access;
    this.hosts = AllowedHosts.fromConfig(this.config);
    if (access.required) this.postRoutes["/login"] = (req, res) => this.login(req, res);
    const { host, port } = this.config.http;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host, port }, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const bound = (this.server.address() as AddressInfo).port;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    this.address = {
      url: `http://${shownHost}:${bound}`,
      port: bound,
      advertised: advertisedUrl({ host, port: bound }, this.config.http.advertise),
    };
    this.cookieName = sessionCookieName(bound);
    if (access.mode === "public") {
      this.logger.warn(
        { http: this.address.url },
        "the HTTP endpoints are public (http.public): anyone who reaches them reads every link definition's values",
      );
    } else if (access.required) {
      this.logger.info({ http: this.address.url }, "the HTTP endpoints require the token (http.token)");
    }
    this.tick = setInterval(() => {
      if (this.stream.size > 0) this.stream.send("status", this.statusBody());
    }, STATUS_TICK_MS);
    this.tick.unref();
    return this.address;
  }

  /** The bound address, once started. */
  get listening(): ListeningAddress | undefined {
    return this.address;
  }

  /** Serves `cache` from now on and streams its changes to connected pages. */
  attach(cache: LatticeCache): void {
    this.cache = cache;
    this.problem = undefined;
    this.detachChanges?.();
    this.detachChanges = cache.onChange((event) => {
      this.stream.send("change", {
        collection: event.collection,
        key: event.key,
        operation: event.operation,
        revision: event.revision,
        origin: event.origin ?? null,
        value: event.value ?? null,
      });
    });
    this.stream.send("status", this.statusBody());
  }

  /** Adds a section to `/status` (and, with `ready`, a condition to `/readyz`). */
  addSection(section: StatusSection): void {
    this.sections.push(section);
  }

  /** What /status says while the backend cannot be opened yet. */
  reportProblem(problem: string | undefined): void {
    this.problem = problem;
  }

  /** From now on `/readyz` says 503: the host is shutting down (called first thing by a stopping host). */
  shuttingDown(): void {
    this.closing = true;
  }

  /** Ends event streams and open connections, then closes the listener. Idempotent. */
  async stop(): Promise<void> {
    this.shuttingDown();
    if (this.tick) clearInterval(this.tick);
    this.detachChanges?.();
    this.stream.close();
    await this.watch.stop();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? "/", "http://host");
    const path = url.pathname;
    // A request naming another host is a browser tricked by DNS rebinding (or a misdirected client).
    const misdirected = this.access?.isOpen(path) ? undefined : this.hosts?.refusal(req);
    if (misdirected !== undefined) return send(res, 421, "text/plain; charset=utf-8", `${misdirected}\n`);
    const post = this.postRoutes[path];
    const route = req.method === "POST" && post ? post : this.routes[path];
    if (!route)
      return sendJson(res, 404, { error: `no such endpoint ${path}`, endpoints: Object.keys(this.routes) });
    if (route !== post && req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return sendJson(res, 405, { error: `${req.method} is not allowed; use GET` });
    }
    // The sign-in form's POST is the way in, so it is the one guarded route that takes no credential.
    if (route !== post && this.access?.guards(path) !== false) {
      const token = path === "/" ? url.searchParams.get("token") : null;
      if (token !== null) return this.signIn(token, res);
      const verdict: CredentialVerdict = this.access?.check(req, this.cookieName) ?? "missing";
      if (verdict !== "ok") return this.refuse(res, path, verdict);
    }
    try {
      await route(req, res);
    } catch (error) {
      this.logger.error({ err: error, path }, "HTTP handler failed");
      if (!res.headersSent) sendJson(res, 500, { error: errorText(error) });
      else res.end();
    }
  }

  /** 401 with a Bearer challenge: the sign-in page for `/`, JSON for the API. */
  private refuse(res: ServerResponse, path: string, verdict: Exclude<CredentialVerdict, "ok">): void {
    res.setHeader(
      "www-authenticate",
      verdict === "wrong" ? 'Bearer realm="lattice", error="invalid_token"' : 'Bearer realm="lattice"',
    );
    if (path === "/") {
      sendPage(
        res,
        401,
        renderLoginPage(
          verdict === "wrong"
            ? "The credential this browser sent is not valid here (was the token changed?)."
            : undefined,
        ),
      );
      return;
    }
    sendJson(res, 401, {
      error:
        verdict === "wrong"
          ? "the credential is not this host's HTTP token"
          : "this endpoint needs the host's HTTP token (http.token): send Authorization: Bearer <token>",
    });
  }

  /**
   * `/?token=…` or the sign-in form: the right token gets the session cookie and a redirect to the page
   * (dropping the token from the address bar and history); a wrong one gets the sign-in page again.
   */
  private signIn(token: string, res: ServerResponse): void {
    const access = this.access as HttpAccess;
    if (!access.isToken(token.trim())) {
      res.setHeader("www-authenticate", 'Bearer realm="lattice", error="invalid_token"');
      sendPage(res, 401, renderLoginPage("That is not this host's token."));
      return;
    }
    res.writeHead(303, {
      location: "./",
      "set-cookie": access.sessionCookie(this.cookieName),
      "cache-control": "no-store",
    });
    res.end();
  }

  /** POST /login: the sign-in form (`application/x-www-form-urlencoded`, field `token`). */
  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_LOGIN_BODY) {
        res.setHeader("connection", "close");
        sendJson(res, 413, { error: `the sign-in form is larger than ${MAX_LOGIN_BODY} bytes` });
        return;
      }
      chunks.push(chunk);
    }
    const token = new URLSearchParams(Buffer.concat(chunks).toString("utf8")).get("token") ?? "";
    this.signIn(token, res);
  }

  /** 200 while this host can serve its replica, 503 otherwise; the body says why (readiness.ts). */
  private readyz(res: ServerResponse): void {
    const verdict = readinessOf({
      mode: this.config.http.readiness,
      status: this.cache?.status(),
      synced: this.cache?.isReady === true,
      closing: this.closing,
      problem: this.problem,
      waitingFor: this.sections.filter((s) => s.ready?.() === false).map((s) => s.name),
    });
    sendJson(res, verdict.ready ? 200 : 503, verdict);
  }

  private entries(res: ServerResponse): void {
    const cache = this.cache;
    if (!cache?.isReady) {
      sendJson(res, 503, { error: "the initial sync has not completed yet" });
      return;
    }
    const handles = { linkdefs: cache.linkdefs, claims: cache.claims, refmaps: cache.refmaps } as const;
    const collections = {} as Record<CollectionName, unknown[]>;
    for (const name of COLLECTION_NAMES) {
      collections[name] = handles[name]
        .entries()
        .map((e) => ({ key: e.key, revision: e.revision, origin: e.origin ?? null, value: e.value }));
    }
    sendJson(res, 200, { revision: cache.status().revision, collections });
  }

  private events(res: ServerResponse): void {
    if (this.stream.add(res)) {
      this.stream.send("status", this.statusBody(), res);
      return;
    }
    res.setHeader("retry-after", String(EVENTS_RETRY_AFTER_S));
    sendJson(res, 503, {
      error: `${this.stream.limits.maxClients} event streams are open, the most this host serves: try again later (the status page polls /status meanwhile)`,
    });
  }

  /** The /status body: core `status()` with `prefix` and `uptimeSeconds`, unknowns as `null`. */
  statusBody(): Record<string, unknown> {
    const common = {
      prefix: this.config.prefix,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      ...Object.fromEntries(this.sections.map((s) => [s.name, s.status()])),
    };
    if (!this.cache) {
      return {
        state: "connecting",
        hostId: this.config.hostId ?? null,
        backend: this.config.backend,
        revision: 0,
        backendRevision: null,
        lag: 0,
        digest: null,
        counts: { linkdefs: 0, claims: 0, refmaps: 0 },
        lastError: this.problem ?? null,
        ...common,
      };
    }
    const s = this.cache.status();
    return {
      ...s,
      backendRevision: s.backendRevision ?? null,
      staleSince: s.staleSince ?? null,
      lastError: s.lastError ?? null,
      ...common,
    };
  }
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** An HTML page, under its own Content-Security-Policy. */
function sendPage(res: ServerResponse, status: number, html: string): void {
  send(res, status, "text/html; charset=utf-8", html, { "content-security-policy": pagePolicy(html) });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, "application/json; charset=utf-8", `${JSON.stringify(body, null, 2)}\n`);
}
