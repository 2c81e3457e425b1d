// The status page in a real headless Chromium: counts per collection, state `live`, and a CLI write showing
// up without a reload.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { refmapKey } from "@lattice-cache/core";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  HOST_DIR,
  httpGet,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const PREFIX = "page";

const dir = mkdtempSync(join(tmpdir(), "lattice-page-"));
const env = cleanEnv({ XDG_DATA_HOME: dir });
let nats: NatsServerHandle;
let browser: Browser | undefined;
let host: LatticeProcess;
let url: string;

function lattice(args: readonly string[]) {
  return runLattice([...args, "--nats-url", nats.url, "--prefix", PREFIX], { env });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the status page test needs Chromium at ${CHROMIUM}; install it with \`apt-get install -y chromium\` ` +
        "(the repo bootstrap does this in CI)",
    );
  }
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
    env,
  });
  url = (
    (await host.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/)) as RegExpMatchArray
  )[1] as string;
  await waitFor(async () => (await httpGet(`${url}/readyz`)).status === 200, { what: "host /readyz 200" });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

async function text(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent())?.trim() ?? "";
}

/** Waits until the element's text contains `part` (tables fill from their own request, after the counts). */
async function untilContains(page: Page, testId: string, part: string): Promise<void> {
  await waitFor(async () => (await text(page, testId)).includes(part), {
    timeoutMs: 20_000,
    what: `[data-testid=${testId}] to contain ${JSON.stringify(part)}`,
  }).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; it reads ${JSON.stringify(await text(page, testId))}`);
  });
}

async function until(page: Page, testId: string, expected: string): Promise<void> {
  await waitFor(async () => (await text(page, testId)) === expected, {
    timeoutMs: 20_000,
    what: `[data-testid=${testId}] to read ${JSON.stringify(expected)}`,
  }).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; it reads ${JSON.stringify(await text(page, testId))}`);
  });
}

describe("the status page", () => {
  it("is one self-contained document: no external scripts, styles or images", async () => {
    const page = await httpGet(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.contentType).toContain("text/html");
    expect(page.body).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|https?:\/\//);
  });

  it("shows state live, the counts per collection and the entries", async () => {
    const page = await (browser as Browser).newPage();
    try {
      await page.goto(`${url}/`);
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
      await page.close();
    }
  });

  it("shows a put and a delete made with the CLI without a reload", async () => {
    const page = await (browser as Browser).newPage();
    try {
      await page.goto(`${url}/`);
      await until(page, "count-refmaps", "1");
      await until(page, "feed", "live updates");
      // Survives only as long as the document does: a reload would clear it.
      await page.evaluate(() => {
        (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
      });

      const put = await lattice(["refmaps", "put", "ghcr.io/acme/live:2.0.0", "Mlive"]);
      expect(put.code, put.stderr).toBe(0);
      await until(page, "count-refmaps", "2");
      const row = page.locator(
        `[data-testid=table-refmaps] tr[data-key="${refmapKey("ghcr.io/acme/live:2.0.0")}"]`,
      );
      await row.waitFor({ timeout: 20_000 });
      expect(await row.textContent()).toContain("Mlive");
      await untilContains(page, "recent-changes", "put refmaps");

      const claimsPut = await lattice([
        "linkdefs",
        "put",
        "--actor",
        "Mcarol",
        "--provider",
        "Vprov",
        "--contract",
        "wasmcloud:blobstore",
      ]);
      expect(claimsPut.code, claimsPut.stderr).toBe(0);
      await until(page, "count-linkdefs", "3");

      const del = await lattice(["refmaps", "del", "ghcr.io/acme/live:2.0.0"]);
      expect(del.code, del.stderr).toBe(0);
      await until(page, "count-refmaps", "1");
      expect(await row.count()).toBe(0);

      expect(
        await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
      ).toBe(true);
      mkdirSync(join(HOST_DIR, ".test-results"), { recursive: true });
      await page.screenshot({ path: join(HOST_DIR, ".test-results", "status-page.png"), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
