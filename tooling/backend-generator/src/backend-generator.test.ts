// `pnpm turbo gen backend` end to end, in a temporary copy of the repository (the real tree is never
// touched): the generator makes packages/demo — a backend package and its plugin for lattice — and changes
// nothing in the host; the copy then builds and typechecks the new package, lints it (Biome, and the
// dependency-cruiser layering rules), loads its plugin into the copy's `lattice` (settings, doctor check), and
// runs the new package's conformance file, which must fail test by test with "not implemented" — not crash.
// The build restores what did not change from the real tree's turbo cache entries (linked into the copy's own
// cache folder), so only what changed is rebuilt.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COPY_ENV,
  type CommandResult,
  copyRepository,
  linkInstalledDependencies,
  linkTurboCache,
  linkWorkspaceDependencies,
  removeCopy,
  run,
} from "./repository-copy.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
/** The CLI `turbo gen` hands generators to (`@turbo/gen`, installed at the root), run directly: offline. */
const GEN_CLI = join(root, "node_modules", "@turbo", "gen", "dist", "cli.js");
const NAME = "demo";
const PACKAGE = `packages/${NAME}`;
/** The answers after the name: the server's URL scheme and executable, neither derived from the name. */
const SCHEME = "http";
const SERVER_COMMAND = "demo-server";

let copy: string;
const timings: string[] = [];

/** Runs a command in the copy (or a folder of it) and records how long it took. */
async function inCopy(
  label: string,
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const result = await run(command, args, {
    cwd: join(copy, options.cwd ?? ""),
    env: COPY_ENV,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  timings.push(`${label}: ${(result.ms / 1000).toFixed(1)} s (exit ${result.code ?? result.signal})`);
  return result;
}

/** Fails with the command's output when it did not exit 0. */
function succeeded(result: CommandResult, what: string): void {
  if (result.code !== 0)
    throw new Error(`${what} exited with ${result.code ?? result.signal}:\n${result.output}`);
}

function read(path: string): string {
  return readFileSync(join(copy, path), "utf8");
}

/** The generator, as `pnpm turbo gen backend --args <name> <scheme> <server command>` runs it. */
function generate(name: string): Promise<CommandResult> {
  return inCopy(
    `gen backend ${name}`,
    process.execPath,
    [GEN_CLI, "run", "backend", "--args", name, SCHEME, SERVER_COMMAND],
    { timeoutMs: 60_000 },
  );
}

/** `startDemoServer()` as step 1 of the guide writes it, with a node TCP server standing in for the store's. */
const STARTED_SERVER = `async function startDemoServer(): Promise<ManagedServer> {
  return startManagedServer({
    name: "demo",
    command: process.execPath,
    args: ({ port }) => ["-e", \`require("node:net").createServer((s) => s.pipe(s)).listen(\${port}, "127.0.0.1")\`],
  });
}`;

/**
 * Runs the new package's conformance file in the copy and returns vitest's report, after checking that it
 * failed as tests fail (exit 1, tests collected in every file, each failed with "not implemented"), not by
 * crashing.
 */
async function conformanceRun(label: string): Promise<VitestReport> {
  const result = await inCopy(
    label,
    process.execPath,
    [join(copy, "node_modules", "vitest", "vitest.mjs"), "run", "src/conformance.test.ts"],
    { cwd: PACKAGE },
  );
  expect(result.code, result.output).toBe(1);
  const report = JSON.parse(read(`${PACKAGE}/.test-results/vitest.json`)) as VitestReport;
  expect(report.numFailedTests).toBeGreaterThan(0);
  expect(report.numPassedTests).toBe(0);
  for (const file of report.testResults) {
    expect(file.assertionResults.length, `${file.name} collected tests (${file.message})`).toBeGreaterThan(0);
    for (const test of file.assertionResults) {
      expect(test.status).toBe("failed");
      expect(test.failureMessages.join("\n"), test.fullName).toContain("not implemented");
    }
  }
  return report;
}

describe("pnpm turbo gen backend, in a temporary copy of the repository", () => {
  beforeAll(async () => {
    const started = Date.now();
    copy = await copyRepository(root);
    await linkInstalledDependencies(root, copy);
    await linkTurboCache(root, copy);
    timings.push(`copy and link: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 120_000);

  afterAll(async () => {
    // LATTICE_KEEP_GENERATOR_COPY=1 keeps the copy to look at what the generator made.
    if (process.env.LATTICE_KEEP_GENERATOR_COPY === "1") timings.push(`copy kept: ${copy}`);
    else if (copy) await removeCopy(copy);
    console.log(`backend generator test timings:\n  ${timings.join("\n  ")}`);
  });

  it("refuses a name that is malformed or taken, and writes nothing", async () => {
    const taken = await generate("redis");
    expect(taken.code).not.toBe(0);
    expect(taken.output).toContain('"redis" is taken');
    const malformed = await generate("Bad_Name");
    expect(malformed.code).not.toBe(0);
    expect(malformed.output).toContain('"Bad_Name" is not a backend name');
    expect(existsSync(join(copy, "packages", "Bad_Name"))).toBe(false);
  }, 60_000);

  it("makes packages/demo, a backend package and its plugin, and changes nothing in the host", async () => {
    const host = ["builtin-backends.ts", "../../package.json"].map((file) =>
      read(join("apps/host/src/composition", file)),
    );
    succeeded(await generate(NAME), "the generator");
    for (const file of [
      "package.json",
      "tsconfig.json",
      "tsconfig.typecheck.json",
      "vitest.config.ts",
      "README.md",
      "src/index.ts",
      "src/demo-backend.ts",
      "src/demo-backend-options.ts",
      "src/demo-log-transport.ts",
      "src/not-implemented.ts",
      "src/conformance.test.ts",
      "src/host/index.ts",
      "src/host/demo-plugin.ts",
      "src/host/demo-server-check.ts",
    ]) {
      expect(existsSync(join(copy, PACKAGE, file)), file).toBe(true);
      expect(read(join(PACKAGE, file)), `${file} says what to write, never TODO`).not.toMatch(/\bTODO\b/i);
      expect(read(join(PACKAGE, file)), `${file} has no template left`).not.toMatch(/\{\{|\}\}/);
    }
    const manifest = JSON.parse(read(`${PACKAGE}/package.json`));
    expect(manifest).toMatchObject({
      // The name an installed lattice looks for when `backend: demo` is not built in.
      name: "@lattice-cache/demo",
      private: true,
      exports: {
        ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
        "./host": { types: "./dist/host/index.d.ts", import: "./dist/host/index.js" },
      },
      scripts: { build: expect.any(String), typecheck: expect.any(String), lint: expect.any(String) },
      dependencies: { "@lattice-cache/core": "workspace:^", "@lattice-cache/plugin": "workspace:^" },
      devDependencies: {
        "@lattice-cache/conformance": "workspace:^",
        "@lattice-cache/test-harness": "workspace:^",
      },
    });

    // The server's scheme and executable are the answers given, never made up from the name.
    const generated = [
      "README.md",
      "src/demo-backend.ts",
      "src/demo-backend-options.ts",
      "src/conformance.test.ts",
    ].map((file) => read(join(PACKAGE, file)));
    for (const text of generated) expect(text).not.toMatch(/demo:\/\/|"demo:"/);
    expect(read(`${PACKAGE}/src/demo-backend-options.ts`)).toContain('DEMO_URL_SCHEMES = ["http:"]');
    const conformance = read(`${PACKAGE}/src/conformance.test.ts`);
    expect(conformance).toContain('command: "demo-server"');
    expect(conformance).toContain('url("http")');
    // Stores whose revisions skip choose followLog's "increasing" where the generated feed says so.
    expect(read(`${PACKAGE}/src/demo-backend.ts`)).toMatch(/"increasing"[\s\S]*revisions: "contiguous",/);

    // The plugin: the options' settings are its section; its status channel is the NATS one.
    const options = read(`${PACKAGE}/src/demo-backend-options.ts`);
    expect(options).toContain('configSection("demo", DEMO_SETTINGS)');
    expect(options).toContain('env: "LATTICE_DEMO_URL"');
    const plugin = read(`${PACKAGE}/src/host/demo-plugin.ts`);
    expect(plugin).toContain("new NatsStatusBus(");
    expect(read(`${PACKAGE}/src/host/index.ts`)).toMatch(
      /export \{[^}]*\bplugin\b[^}]*\} from "\.\/demo-plugin\.js"/,
    );
    // Nothing in the host: lattice loads the plugin by its name.
    expect(
      ["builtin-backends.ts", "../../package.json"].map((file) =>
        read(join("apps/host/src/composition", file)),
      ),
    ).toEqual(host);
    expect(existsSync(join(copy, "apps/host/src/composition/demo-backend-registration.ts"))).toBe(false);

    // What `pnpm install` would do next: link the new package's dependencies.
    expect(await linkWorkspaceDependencies(copy)).toEqual(
      expect.arrayContaining([
        "packages/demo/node_modules/@lattice-cache/core -> packages/core",
        "packages/demo/node_modules/@lattice-cache/plugin -> packages/plugin",
        "packages/demo/node_modules/zod -> node_modules/.pnpm/node_modules/zod",
      ]),
    );
  }, 60_000);

  it("builds and typechecks the new package and what it depends on (and the host, unchanged)", async () => {
    const turbo = (label: string, args: readonly string[]) =>
      inCopy(
        label,
        join(copy, "node_modules", ".bin", "turbo"),
        [
          "run",
          ...args,
          // The real tree's cache entries, linked into the copy's cache: what did not change is restored.
          "--cache=local:r",
          "--output-logs=errors-only",
          "--ui=stream",
        ],
        // Generous: on a busy machine whatever the cache does not restore is built here.
        { timeoutMs: 360_000 },
      );
    // The host is built for the plugin test below (lattice loads the new package from its folder).
    const build = await turbo("turbo run build", [
      "build",
      `--filter=@lattice-cache/${NAME}...`,
      "--filter=@lattice-cache/host",
    ]);
    succeeded(build, "turbo run build");
    succeeded(
      await turbo("turbo run typecheck", ["typecheck", `--filter=@lattice-cache/${NAME}`]),
      "typecheck",
    );
    expect(existsSync(join(copy, PACKAGE, "dist", "index.js"))).toBe(true);
    expect(existsSync(join(copy, PACKAGE, "dist", "host", "index.js"))).toBe(true);
  }, 800_000);

  it("passes Biome and the layering rules (dependency-cruiser)", async () => {
    const biome = await inCopy("biome check", join(copy, "node_modules", ".bin", "biome"), [
      "check",
      PACKAGE,
    ]);
    succeeded(biome, "biome check");
    const layering = await inCopy(
      "dependency-cruiser",
      process.execPath,
      [
        join(copy, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs"),
        "--config",
        ".dependency-cruiser.cjs",
        PACKAGE,
      ],
      { timeoutMs: 60_000 },
    );
    succeeded(layering, "depcruise");
  }, 90_000);

  it("holds its promises before anything is written: typed not-implemented errors, no capability, validated options", async () => {
    const script = `
      const { DemoBackend } = await import(${JSON.stringify(join(copy, PACKAGE, "dist", "index.js"))});
      const out = {};
      const field = (options) => { try { new DemoBackend(options); return "accepted"; } catch (e) { return e.code + " " + e.field; } };
      out.fields = [field({}), field({ url: "demo://127.0.0.1:1" }), field({ url: "http://127.0.0.1:1", prefix: "a b" }),
        field({ url: "http://127.0.0.1:1", feedWaitMs: 0 }), field({ url: "http://127.0.0.1:1" })];
      const backend = new DemoBackend({ url: "http://user:secret@127.0.0.1:1" });
      out.identity = [backend.specificationVersion, backend.name, backend.capabilities, backend.describe()];
      const failure = async (call) => { try { await call(); return "resolved"; } catch (e) { return e.code + " " + e.message; } };
      out.open = await failure(() => backend.open());
      out.head = await failure(() => backend.head());
      out.write = await failure(() => backend.write({ key: "CLAIMS_M1", value: null, origin: "h" }));
      const reports = [];
      backend.subscribe({ revision: 0 }, { entry() {}, synced() {}, gap() {}, connection: (up, detail) => reports.push([up, detail]) });
      while (reports.length === 0) await new Promise((r) => setTimeout(r, 20));
      out.feed = reports[0];
      out.close = await failure(() => backend.close());
      console.log(JSON.stringify(out));
    `;
    const result = await inCopy(
      "backend behaviour",
      process.execPath,
      ["--input-type=module", "-e", script],
      {
        cwd: PACKAGE,
        timeoutMs: 30_000,
      },
    );
    succeeded(result, "the behaviour script");
    const out = JSON.parse(result.output.trim().split("\n").at(-1) as string);
    // Settings of the host's demo section by their setting names, the library's other options by their own.
    expect(out.fields).toEqual([
      "CONFIGURATION demo.url",
      "CONFIGURATION demo.url",
      "CONFIGURATION prefix",
      "CONFIGURATION feedWaitMs",
      "accepted",
    ]);
    expect(out.identity).toEqual([
      "v1",
      "demo",
      {
        ordered: false,
        durable: false,
        compareAndSwap: false,
        history: false,
        ttl: false,
        pushed: false,
        revisionsRestart: false,
      },
      { server: "http://user:***@127.0.0.1:1", prefix: "default" },
    ]);
    for (const part of ["open", "head", "write", "close"]) {
      expect(out[part], part).toMatch(
        /^UNSUPPORTED demo backend does not support .* yet — not implemented: /,
      );
    }
    expect(out.open).toContain("(see packages/core/src/backend.ts (LatticeBackend.open))");
    expect(out.write).toContain("docs/semantics.md#rule-4-conditional-writes");
    expect(out.open).not.toContain("secret");
    expect(out.feed[0]).toBe(false);
    expect(out.feed[1]).toMatch(/not implemented: open a connection of this feed's own/);
  }, 60_000);

  it("is a plugin the copy's lattice loads: its settings, and a doctor check that the server answers", async () => {
    const lattice = (args: readonly string[]) =>
      inCopy(
        `lattice ${args.join(" ")}`,
        process.execPath,
        [
          join(copy, "apps/host/dist/bin/lattice.js"),
          ...["--plugins", `./${PACKAGE}`, "--backend", NAME, "--log-level", "silent"],
          ...args,
        ],
        { timeoutMs: 60_000 },
      );
    /** The JSON a command printed (its output holds nothing else with logs silenced, but a closing message). */
    const json = (output: string, open: string, close: string) =>
      JSON.parse(output.slice(output.indexOf(open), output.lastIndexOf(close) + 1));
    const printed = await lattice(["config", "print", "--json", "--demo-url", "http://127.0.0.1:7000"]);
    succeeded(printed, "config print");
    expect(json(printed.output, "{", "}")).toMatchObject({
      backend: NAME,
      demo: { url: "http://127.0.0.1:7000" },
      nats: { servers: ["nats://127.0.0.1:4222"] },
    });
    const listening = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
    const port = (listening.address() as { port: number }).port;
    try {
      const reachable = await lattice(["doctor", "--json", "--demo-url", `http://127.0.0.1:${port}`]);
      const checks = json(reachable.output, "[", "]") as DoctorCheck[];
      expect(checks.find((c) => c.name === "demo server reachable")).toMatchObject({ outcome: "pass" });
    } finally {
      await new Promise((resolve) => listening.close(resolve));
    }
    // The port is free again: nothing answers there.
    const down = await lattice(["doctor", "--json", "--demo-url", `http://127.0.0.1:${port}`]);
    const checks = json(down.output, "[", "]") as DoctorCheck[];
    expect(checks.find((c) => c.name === "demo server reachable")).toMatchObject({
      outcome: "fail",
      fix: expect.stringContaining("LATTICE_DEMO_URL"),
    });
    expect(down.code).toBe(1);
  }, 120_000);

  it("runs the conformance file: it fails with not implemented, it does not crash", async () => {
    const report = await conformanceRun("vitest run (conformance)");
    // Before the test starts a server the suite cannot probe a store: one test says what to do first.
    expect(report.numTotalTests).toBe(1);
    expect(report.testResults[0]?.assertionResults[0]?.failureMessages.join("\n")).toContain(
      "not implemented: start the demo server in startDemoServer() of src/conformance.test.ts",
    );
  }, 120_000);

  it("with the test's server started (step 1 of the guide), runs every test the capabilities imply, each failing with not implemented", async () => {
    // Step 1 as a backend author takes it — here a TCP server made with node stands in for the store's
    // server: the suite's probe then makes stores, connects backends through their fault proxies, and
    // registers every test the declared capabilities and backdoor hooks imply.
    const file = join(copy, PACKAGE, "src/conformance.test.ts");
    const source = read(`${PACKAGE}/src/conformance.test.ts`);
    const started = source
      .replace(/async function startDemoServer\(\): Promise<ManagedServer> \{[\s\S]*?\n\}/, STARTED_SERVER)
      .replace("  StoreProxies,\n", "  StoreProxies,\n  startManagedServer,\n");
    expect(started).not.toBe(source);
    writeFileSync(file, started);
    const report = await conformanceRun("vitest run (conformance, server started)");
    const names = report.testResults.flatMap((f) => f.assertionResults.map((t) => t.fullName));
    expect(names.some((name) => name.includes("probe:"))).toBe(false);
    expect(report.numTotalTests).toBeGreaterThanOrEqual(20);
    // The fault-proxy hooks are wired: the partition tests are among them.
    expect(names.some((name) => name.includes("rule 10"))).toBe(true);
    expect(
      report.testResults
        .flatMap((f) => f.assertionResults)
        .every((t) => /open\(\) yet — not implemented/.test(t.failureMessages.join())),
    ).toBe(true);
  }, 120_000);

  it("left the real tree alone", () => {
    expect(existsSync(join(root, PACKAGE))).toBe(false);
    expect(existsSync(join(root, "node_modules/.pnpm/node_modules/@lattice-cache", NAME))).toBe(false);
    expect(readFileSync(join(root, "apps/host/src/composition/builtin-backends.ts"), "utf8")).not.toContain(
      "@lattice-cache/demo",
    );
  });
});

/** One finding of `lattice doctor --json`. */
interface DoctorCheck {
  readonly name: string;
  readonly outcome: string;
  readonly fix?: string;
}

/** The parts of vitest's JSON report read here. */
interface VitestReport {
  readonly numTotalTests: number;
  readonly numFailedTests: number;
  readonly numPassedTests: number;
  readonly testResults: ReadonlyArray<{
    readonly name: string;
    readonly message: string;
    readonly assertionResults: ReadonlyArray<{
      readonly fullName: string;
      readonly status: string;
      readonly failureMessages: readonly string[];
    }>;
  }>;
}
