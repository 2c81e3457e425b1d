// The status page in a real headless Chromium, on a `lattice host` that requires a token (LATTICE_HTTP_TOKEN):
// a person signs in once (the token becomes an HttpOnly, SameSite=Strict cookie and leaves the address bar),
// then sees counts per collection, state `live`, and CLI writes showing up without a reload.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { refmapKey } from "@lattice-cache/core";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  HOST_DIR,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import {
  cspViolations,
  launchChromium,
  markDocument,
  notReloaded,
  PAGE_WAIT_MS,
  text,
  until,
  untilContains,
} from "./browser.test-helpers.js";

const PREFIX = "page";
const TOKEN = `page-token-${randomBytes(16).toString("hex")}`;

const dir = mkdtempSync(join(tmpdir(), "lattice-page-"));
const env = cleanEnv({ XDG_DATA_HOME: dir });
let nats: NatsServerHandle;
let browser: Browser | undefined;
let host: LatticeProcess;
let url: string;

function lattice(args: readonly string[]) {
  return runLattice([...args, "--nats-url", nats.url, "--prefix", PREFIX], { env });
}

async function fetchWithToken(path: string): Promise<Response> {
  return fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
}

beforeAll(async () => {
  browser = await launchChromium();
  nats = await startNatsServer();
  const seeded = await Promise.all([
    lattice([
      "linkdefs",
      "put",
      "--actor",
      "Mbob",
      "--provider",
      "Vprov",
      "--contract",
      "wasmcloud:keyvalue",
    ]),
    lattice([
      "linkdefs",
      "put",
      "--actor",
      "Malice",
      "--provider",
      "Vprov",
      "--contract",
      "wasmcloud:httpserver",
    ]),
    lattice(["refmaps", "put", "ghcr.io/acme/seed:1.0.0", "Mseed"]),
  ]);
  for (const r of seeded) expect(r.code, r.stderr).toBe(0);
  host = LatticeProcess.start(["host", "--http-port", "0", "--nats-url", nats.url, "--prefix", PREFIX], {
    env: { ...env, LATTICE_HTTP_TOKEN: TOKEN },
  });
  url = (
    (await host.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/)) as RegExpMatchArray
  )[1] as string;
  await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { what: "host /readyz 200" });
});

afterAll(async () => {
  await browser?.close();
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A page in a fresh browser context (its own cookies) that signed in with a `/?token=` link, and what the
 * browser has refused under the pages' Content-Security-Policy since the context opened.
 */
async function signedInPage(): Promise<{ page: Page; violations: string[] }> {
  const context = await (browser as Browser).newContext();
  const violations = cspViolations(context);
  const page = await context.newPage();
  await page.goto(`${url}/?token=${encodeURIComponent(TOKEN)}`);
  expect(page.url()).toBe(`${url}/`);
  return { page, violations };
}

describe("the status page", () => {
  it("is one self-contained document: no external scripts, styles or images (the sign-in page too)", async () => {
    const page = await fetchWithToken("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|https?:\/\//);
    const signIn = await fetch(`${url}/`);
    expect(signIn.status).toBe(401);
    expect(await signIn.text()).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|https?:\/\//);
  });

  it("issue 27 item 3: both pages are served under a Content-Security-Policy that runs only their own inline script", async () => {
    for (const answer of [await fetchWithToken("/"), await fetch(`${url}/`)]) {
      const csp = answer.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/script-src 'sha256-[\w+/=]+'(;|$)/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
    }
  });

  it("asks a browser without a session for the token, then shows the page (cookie: HttpOnly, SameSite=Strict)", async () => {
    const context = await (browser as Browser).newContext();
    const violations = cspViolations(context);
    try {
      const page = await context.newPage();
      const first = await page.goto(`${url}/`);
      expect(first?.status()).toBe(401);
      await page.getByTestId("login-form").waitFor({ timeout: PAGE_WAIT_MS });
      expect(await page.getByTestId("state").count()).toBe(0);

      await page.fill("#token", "certainly-not-the-token");
      await Promise.all([page.waitForURL(`${url}/login`), page.click("button[type=submit]")]);
      expect(await text(page, "login-problem")).toContain("not this host");

      await page.fill("#token", TOKEN);
      await Promise.all([page.waitForURL(`${url}/`), page.click("button[type=submit]")]);
      await until(page, "state", "live");
      await until(page, "feed", "live updates");
      const cookies = await context.cookies();
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
      expect(cookies[0]?.value).not.toContain(TOKEN);
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
        ),
      ).toBe("");
      expect(violations, "refused under the CSP (issue 27 item 3)").toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("takes the token from a /?token= link and drops it from the address", async () => {
    const { page } = await signedInPage();
    try {
      expect(page.url()).not.toContain(TOKEN);
      await until(page, "state", "live");
      await until(page, "count-linkdefs", "2");
    } finally {
      await page.context().close();
    }
  });

  it("shows state live, the counts per collection and the entries", async () => {
    const { page } = await signedInPage();
    try {
      await until(page, "state", "live");
      await until(page, "count-linkdefs", "2");
      await until(page, "count-claims", "0");
      await until(page, "count-refmaps", "1");
      await until(page, "feed", "live updates");
      await untilContains(page, "table-linkdefs", "Malice");
      await untilContains(page, "table-refmaps", "ghcr.io/acme/seed:1.0.0");
      expect(await text(page, "backend")).toContain("jetstream");
      expect(await text(page, "digest")).not.toBe("–");
    } finally {
      await page.context().close();
    }
  });

  it("shows a put and a delete made with the CLI without a reload (the event stream carries the cookie), and the CSP refuses nothing of it", async () => {
    const { page, violations } = await signedInPage();
    try {
      await until(page, "count-refmaps", "1");
      await until(page, "feed", "live updates");
      await markDocument(page);

      const put = await lattice(["refmaps", "put", "ghcr.io/acme/live:2.0.0", "Mlive"]);
      expect(put.code, put.stderr).toBe(0);
      await until(page, "count-refmaps", "2");
      const row = page.locator(
        `[data-testid=table-refmaps] tr[data-key="${refmapKey("ghcr.io/acme/live:2.0.0")}"]`,
      );
      await row.waitFor({ timeout: PAGE_WAIT_MS });
      expect(await row.textContent()).toContain("Mlive");
      await untilContains(page, "recent-changes", "put refmaps");

      const linkPut = await lattice([
        "linkdefs",
        "put",
        "--actor",
        "Mcarol",
        "--provider",
        "Vprov",
        "--contract",
        "wasmcloud:blobstore",
      ]);
      expect(linkPut.code, linkPut.stderr).toBe(0);
      await until(page, "count-linkdefs", "3");

      const del = await lattice(["refmaps", "del", "ghcr.io/acme/live:2.0.0"]);
      expect(del.code, del.stderr).toBe(0);
      await until(page, "count-refmaps", "1");
      expect(await row.count()).toBe(0);

      expect(await notReloaded(page)).toBe(true);
      expect(await text(page, "feed")).toBe("live updates");
      expect(violations, "refused under the CSP (issue 27 item 3)").toEqual([]);
      mkdirSync(join(HOST_DIR, ".test-results"), { recursive: true });
      await page.screenshot({
        path: join(HOST_DIR, ".test-results", "status-page-signed-in.png"),
        fullPage: true,
      });
    } finally {
      await page.context().close();
    }
  });

  it("never logs the token", () => {
    expect(host.stderr).toContain("the HTTP endpoints require the token");
    expect(host.stderr + host.stdout).not.toContain(TOKEN);
  });
});
