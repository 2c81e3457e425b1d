// Driving the status page in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core):
// launching it, and bounded waits on what an element reads.
import { existsSync } from "node:fs";
import { waitFor } from "@lattice-cache/test-harness";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install -y chromium`; the repo bootstrap installs it in CI). */
export const CHROMIUM = "/usr/bin/chromium";
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
/** How long an element may take to read what a test expects (a busy 2-core machine included). */
export const PAGE_WAIT_MS = 30_000;

/**
 * Launches headless Chromium, or throws saying how to install it. `extraArgs` go after the defaults (e.g.
 * `--host-resolver-rules=MAP name 127.0.0.1`, a name that resolves to this machine as a rebound one would).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the status page tests need Chromium at ${CHROMIUM}; install it with \`apt-get install -y chromium\` ` +
        "(the repo bootstrap does this in CI)",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    headless: true,
  });
}

/** The trimmed text of `[data-testid=testId]`. */
export async function text(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent())?.trim() ?? "";
}

/** Waits until `[data-testid=testId]` reads `expected` exactly. */
export async function until(page: Page, testId: string, expected: string): Promise<void> {
  await untilText(page, testId, (t) => t === expected, `to read ${JSON.stringify(expected)}`);
}

/** Waits until `[data-testid=testId]` contains `part` (tables fill from their own request, after the counts). */
export async function untilContains(page: Page, testId: string, part: string): Promise<void> {
  await untilText(page, testId, (t) => t.includes(part), `to contain ${JSON.stringify(part)}`);
}

async function untilText(
  page: Page,
  testId: string,
  ok: (text: string) => boolean,
  what: string,
): Promise<void> {
  await waitFor(async () => ok(await text(page, testId)), {
    timeoutMs: PAGE_WAIT_MS,
    what: `[data-testid=${testId}] ${what}`,
  }).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; it reads ${JSON.stringify(await text(page, testId))}`);
  });
}

/** Marks the document, so {@link notReloaded} can tell that it was never reloaded since. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
  });
}

/** True when the document marked by {@link markDocument} is still the one shown. */
export async function notReloaded(page: Page): Promise<boolean> {
  return (
    (await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)) === true
  );
}

/**
 * Collects what Chromium reports, from now on, as refused by a page's Content-Security-Policy in `context`
 * (its console errors naming the policy): a page that works under its CSP reports nothing.
 */
export function cspViolations(context: BrowserContext): string[] {
  const seen: string[] = [];
  context.on("console", (message) => {
    if (message.type() === "error" && /Content.Security.Policy/i.test(message.text()))
      seen.push(message.text());
  });
  return seen;
}
