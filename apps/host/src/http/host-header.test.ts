// Issue 27 item 4 (DNS rebinding): the host answers only requests whose Host header names it — localhost, an IP
// address, http.host or a name in http.allowedHosts — over real HTTP with requests written byte by byte, and
// the status page still works in headless Chromium on http://127.0.0.1:PORT and http://localhost:PORT.
import { randomBytes } from "node:crypto";
import { ConfigurationError } from "@lattice-cache/core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { cspViolations, launchChromium, until, untilContains } from "./browser.test-helpers.js";
import { getWithHost, rawRequest, type Serving, startServing } from "./http.test-helpers.js";

const REBIND = "rebind.attacker.example";
const DATA_PATHS = ["/", "/status", "/entries", "/events", "/lattice"];
const running: Serving[] = [];

async function serving(prefix: string, env: Record<string, string> = {}): Promise<Serving> {
  const s = await startServing(prefix, env);
  running.push(s);
  return s;
}

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

describe("on loopback with no token (the default, where rebinding read everything)", () => {
  let s: Serving;

  beforeAll(async () => {
    s = await serving("host-header");
    await s.cache.linkdefs.put({
      actor_id: "Mbob",
      provider_id: "Vkv",
      contract_id: "wasmcloud:keyvalue",
      values: { PASSWORD: "provider-secret" },
    });
  });

  it("issue 27 item 4: a Host naming another site gets 421 with a plain-text reason on /, /status, /entries, /events and /lattice", async () => {
    for (const path of DATA_PATHS) {
      const r = await getWithHost(s.port, path, `${REBIND}:${s.port}`);
      expect(r.status, path).toBe(421);
      expect(r.headers["content-type"], path).toBe("text/plain; charset=utf-8");
      expect(r.body, path).toContain(REBIND);
      expect(r.body, path).toContain("http.allowedHosts");
      expect(r.body, path).not.toContain("provider-secret");
    }
    const login = await rawRequest(
      s.port,
      [`POST /login HTTP/1.1`, `Host: ${REBIND}`, "Connection: close", "Content-Length: 0"].join("\r\n"),
    );
    expect(login.status).toBe(421);
  });

  it("issue 27 item 4: a request without a Host header is refused (HTTP/1.0: 421 here; HTTP/1.1: Node's 400)", async () => {
    const old = await rawRequest(s.port, "GET /entries HTTP/1.0");
    expect(old.status).toBe(421);
    expect(old.body).toContain("no Host header");
    const current = await rawRequest(s.port, "GET /entries HTTP/1.1\r\nConnection: close");
    expect(current.status).toBe(400);
    expect(current.body).not.toContain("provider-secret");
  });

  it("issue 27 item 4: an absolute-form target names the host the request is for, whatever Host says", async () => {
    const r = await rawRequest(
      s.port,
      [
        `GET http://${REBIND}:${s.port}/entries HTTP/1.1`,
        `Host: 127.0.0.1:${s.port}`,
        "Connection: close",
      ].join("\r\n"),
    );
    expect(r.status).toBe(421);
    const own = await rawRequest(
      s.port,
      [
        `GET http://127.0.0.1:${s.port}/entries HTTP/1.1`,
        `Host: 127.0.0.1:${s.port}`,
        "Connection: close",
      ].join("\r\n"),
    );
    expect(own.status).toBe(200);
  });

  it("issue 27 item 4: localhost and IP addresses are this host's names, with or without a port", async () => {
    for (const host of [
      `127.0.0.1:${s.port}`,
      "127.0.0.1",
      `localhost:${s.port}`,
      "LOCALHOST.",
      `[::1]:${s.port}`,
      "10.20.30.40:8080",
    ]) {
      const r = await getWithHost(s.port, "/entries", host);
      expect(r.status, host).toBe(200);
      expect(r.body, host).toContain("provider-secret");
    }
    for (const host of ["localhost.attacker.example", "127.0.0.1.nip.io", "2130706433", "[::1"]) {
      expect((await getWithHost(s.port, "/entries", host)).status, host).toBe(421);
    }
  });

  it("issue 27 item 4: /healthz, /readyz and the public /metrics answer whatever the Host (probes and scrapers)", async () => {
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      expect((await getWithHost(s.port, path, REBIND)).status, path).toBe(200);
    }
  });
});

describe("http.allowedHosts", () => {
  it("issue 27 item 4: names set in LATTICE_HTTP_ALLOWED_HOSTS (comma-separated) are accepted, case-insensitively", async () => {
    const s = await serving("allowed-hosts", {
      LATTICE_HTTP_ALLOWED_HOSTS: "lattice.example.internal, Status.Example.Com",
    });
    for (const host of [
      "lattice.example.internal",
      `status.example.com:${s.port}`,
      "LATTICE.example.internal.",
    ]) {
      expect((await getWithHost(s.port, "/status", host)).status, host).toBe(200);
    }
    expect((await getWithHost(s.port, "/status", "other.example.internal")).status).toBe(421);
  });

  it("issue 27 item 4: refuses entries that are not host names, naming the field", () => {
    for (const bad of ["http://lattice.example", "lattice.example:7411", "lattice.example/path", "*"]) {
      const load = () => loadConfig({ env: { LATTICE_HTTP_ALLOWED_HOSTS: bad }, backends: ["memory"] });
      expect(load, bad).toThrow(ConfigurationError);
      expect(load, bad).toThrow(/http\.allowedHosts/);
    }
    expect(
      loadConfig({ env: { LATTICE_HTTP_ALLOWED_HOSTS: "a.example,b.example" }, backends: ["memory"] }).http
        .allowedHosts,
    ).toEqual(["a.example", "b.example"]);
  });
});

describe("beyond loopback", () => {
  it("issue 27 item 4: bound to 0.0.0.0 with http.public, IP addresses are accepted and names only when configured", async () => {
    const s = await serving("host-header-public", {
      LATTICE_HTTP_HOST: "0.0.0.0",
      LATTICE_HTTP_PUBLIC: "1",
      LATTICE_HTTP_ALLOWED_HOSTS: "lattice-1.example.internal",
    });
    for (const host of ["127.0.0.1", `192.0.2.7:${s.port}`, "[2001:db8::7]", "lattice-1.example.internal"]) {
      expect((await getWithHost(s.port, "/entries", host)).status, host).toBe(200);
    }
    expect((await getWithHost(s.port, "/entries", REBIND)).status).toBe(421);
  });

  it("issue 27 item 4: with a token too, a spoofed Host is refused before the credential is looked at", async () => {
    const token = randomBytes(16).toString("hex");
    const s = await serving("host-header-token", { LATTICE_HTTP_TOKEN: token });
    const auth = `Authorization: Bearer ${token}`;
    expect((await getWithHost(s.port, "/entries", REBIND, [auth])).status).toBe(421);
    expect((await getWithHost(s.port, "/entries", `127.0.0.1:${s.port}`, [auth])).status).toBe(200);
  });
});

describe("the status page in headless Chromium", () => {
  let browser: Browser | undefined;
  let s: Serving;

  beforeAll(async () => {
    browser = await launchChromium();
    s = await serving("host-header-page");
    await s.cache.refmaps.put({ oci_url: "ghcr.io/acme/rebind:1.0.0", public_key: "Mrebind" });
  });

  afterAll(async () => {
    await browser?.close();
  });

  for (const name of ["127.0.0.1", "localhost"]) {
    it(`issue 27 item 4: works on http://${name}:PORT, live updates included`, async () => {
      const page = await (browser as Browser).newPage();
      const violations = cspViolations(page.context());
      try {
        await page.goto(`http://${name}:${s.port}/`);
        await until(page, "state", "live");
        await until(page, "feed", "live updates");
        await untilContains(page, "table-refmaps", "ghcr.io/acme/rebind:1.0.0");
        await s.cache.claims.put({ sub: `M${name.replace(/\W/g, "")}`, name: `seen on ${name}` });
        await untilContains(page, "recent-changes", "put claims");
        expect(violations, "refused under the CSP").toEqual([]);
      } finally {
        await page.close();
      }
    });
  }
});

describe("in headless Chromium, a page served from a name rebound to this machine", () => {
  let browser: Browser | undefined;
  let s: Serving;

  beforeAll(async () => {
    // The attacker's name resolves to 127.0.0.1, as DNS rebinding makes it do for the victim's browser.
    browser = await launchChromium([`--host-resolver-rules=MAP ${REBIND} 127.0.0.1`]);
    s = await serving("host-header-rebind");
    await s.cache.linkdefs.put({
      actor_id: "Mrebind",
      provider_id: "Vkv",
      contract_id: "wasmcloud:keyvalue",
      values: { PASSWORD: "rebound-secret" },
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("issue 27 item 4: reads nothing — /entries and the page answer 421, and no credential reaches it", async () => {
    const page = await (browser as Browser).newPage();
    try {
      for (const path of ["/entries", "/"]) {
        const response = await page.goto(`http://${REBIND}:${s.port}${path}`);
        expect(response?.status(), path).toBe(421);
        expect(await page.content(), path).not.toContain("rebound-secret");
      }
      // The same browser on the host's own name reads it: the refusal is the name's, not the browser's.
      const own = await page.goto(`http://127.0.0.1:${s.port}/entries`);
      expect(own?.status()).toBe(200);
      expect(await page.content()).toContain("rebound-secret");
    } finally {
      await page.close();
    }
  });
});
