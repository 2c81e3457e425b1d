// What a user gets from the registry, proven before it is published: every publishable package (packages/*,
// apps/*) packed with `pnpm pack` — which rewrites the `workspace:` ranges as `pnpm publish` does — must hold its
// built dist/ and every file its manifest names, no sources, tests or test helpers, and import only what it
// declares. The tarballs, with their registry dependencies, are installed with plain `npm install` into a fresh
// project under os.tmpdir(), outside the workspace; there a small TypeScript consumer (src/fixture/consumer.ts)
// is type-checked against the packed declarations (the workspace's tsc, moduleResolution nodenext) and run
// against a real nats-server, and the packed `lattice` bin runs against the same server. Uses the packages'
// dist/ as built (turbo builds every package this one depends on before its tests); nothing is skipped: a
// missing build, nats-server or registry fails the test that needs it. Last, a backend plugin made by the
// generator (generated-plugin.ts) is packed and installed beside those tarballs in a project of its own, and
// the installed `lattice` — not built with it — loads it: its settings, link definitions on its store, its
// doctor check, a host answering `status --hosts`, and the errors for another plugin API version and for a
// package nobody installed.

import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import {
  disposeAll,
  freePort,
  type NatsServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startRedisServer,
  waitFor,
} from "@lattice-cache/test-harness";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GeneratedPlugin, packGeneratedPlugin } from "./generated-plugin.js";
import {
  cleanEnv,
  doorsOf,
  explain,
  filesNamedBy,
  importedPackages,
  type Manifest,
  publishablePackages,
  REPO_ROOT,
  readManifest,
  run,
  tarballEntries,
} from "./packing.js";

const PACKAGES = publishablePackages();
const CONSUMER_SOURCE = join(import.meta.dirname, "fixture", "consumer.ts");
const TSC = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
/** The @types/node range the workspace builds against, for the consumer project too. */
const TYPES_NODE = readManifest(REPO_ROOT).devDependencies?.["@types/node"] ?? "^20";

/** A packed package: where its tarball is, what it holds, and the manifest inside it. */
interface Packed {
  readonly name: string;
  readonly dir: string;
  readonly tarball: string;
  readonly entries: string[];
  readonly unpacked: string;
  readonly manifest: Manifest;
}

const work = mkdtempSync(join(tmpdir(), "lattice-packed-"));
const packed = new Map<string, Packed>();

afterAll(async () => {
  await disposeAll();
  rmSync(work, { recursive: true, force: true });
});

beforeAll(async () => {
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  for (const { dir, manifest } of PACKAGES) {
    const r = await run("pnpm", ["--loglevel", "silent", "pack", "--pack-destination", tarballs, "--json"], {
      cwd: dir,
      env: cleanEnv(),
    });
    if (r.code !== 0) throw new Error(`packing ${manifest.name} failed: ${explain(r)}`);
    const tarball = (JSON.parse(r.stdout) as { filename: string }).filename;
    const unpacked = join(work, "unpacked", basename(tarball, ".tgz"));
    mkdirSync(unpacked, { recursive: true });
    const x = await run("tar", ["-xzf", tarball, "-C", unpacked, "--strip-components=1"], { cwd: work });
    if (x.code !== 0) throw new Error(explain(x));
    packed.set(manifest.name, {
      name: manifest.name,
      dir,
      tarball,
      entries: await tarballEntries(tarball),
      unpacked,
      manifest: readManifest(unpacked),
    });
  }
});

function packedOf(name: string): Packed {
  const p = packed.get(name);
  if (!p) throw new Error(`${name} was not packed (see the first failure)`);
  return p;
}

describe("the tarballs", () => {
  it("cover packages/* and apps/*", () => {
    expect(PACKAGES.map((p) => p.manifest.name)).toEqual(
      expect.arrayContaining(["@lattice-cache/core", "@lattice-cache/jetstream", "@lattice-cache/host"]),
    );
  });

  describe.each(PACKAGES.map((p) => p.manifest.name))("%s", (name) => {
    it("holds dist/ and every file its manifest names (exports, main, types, bin)", () => {
      const { entries, manifest, dir } = packedOf(name);
      expect(entries).toContain("package.json");
      expect(entries, "no dist/index.js: build first (turbo run build)").toContain("dist/index.js");
      expect(entries).toContain("dist/index.d.ts");
      const named = filesNamedBy(manifest);
      expect(named.length).toBeGreaterThan(0);
      expect(named.filter((file) => !entries.includes(file))).toEqual([]);
      // Every door's declarations, not only the main entry's.
      for (const file of named.filter(
        (f) => f.endsWith(".js") && f.startsWith("dist/") && !f.includes("/bin/"),
      )) {
        expect(entries).toContain(file.replace(/\.js$/, ".d.ts"));
      }
      if (existsSync(join(dir, "README.md"))) expect(entries).toContain("README.md");
    });

    it("holds no sources, tests, test helpers or build leftovers", () => {
      const unwanted = packedOf(name).entries.filter(
        (file) =>
          /^(src|test|tests|node_modules|\.turbo|\.test-results|coverage)\//.test(file) ||
          /\.test(-helpers)?\.[^/]*$/.test(file) ||
          /(^|\/)(test-support|__tests__)\//.test(file) ||
          /\.tsbuildinfo$|(^|\/)(tsconfig[^/]*\.json|vitest\.config\.[cm]?[jt]s)$/.test(file),
      );
      expect(unwanted).toEqual([]);
    });

    it("has no workspace: ranges left in its manifest", () => {
      const { manifest } = packedOf(name);
      const ranges = Object.entries({
        ...manifest.dependencies,
        ...manifest.peerDependencies,
        ...manifest.optionalDependencies,
      });
      expect(ranges.filter(([, range]) => range.startsWith("workspace:"))).toEqual([]);
      expect(readFileSync(join(packedOf(name).unpacked, "package.json"), "utf8")).not.toContain("workspace:");
    });

    it("imports only Node built-ins, itself and what it declares as dependencies", () => {
      const { manifest, entries, unpacked } = packedOf(name);
      const declared = new Set([
        manifest.name,
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
      ]);
      const undeclared: string[] = [];
      for (const file of entries.filter((f) => /\.([cm]?js|d\.[cm]?ts)$/.test(f))) {
        for (const imported of importedPackages(readFileSync(join(unpacked, file), "utf8"))) {
          if (!imported.startsWith("node:") && !declared.has(imported))
            undeclared.push(`${file}: ${imported}`);
        }
      }
      expect(undeclared).toEqual([]);
    });

    it("runs its bins with node (a #!/usr/bin/env node line)", () => {
      const { manifest, unpacked } = packedOf(name);
      const bins = typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {});
      for (const bin of bins) {
        expect(readFileSync(join(unpacked, bin), "utf8").split("\n")[0], bin).toBe("#!/usr/bin/env node");
      }
    });
  });
});

describe("installed with npm into a clean project outside the workspace", () => {
  const project = join(work, "project");
  let nats: NatsServerHandle;
  /** Runs the packed `lattice` bin the way a user of the project would: `npx lattice …`, never installing. */
  const lattice = (args: readonly string[]) =>
    run("npx", ["--no", "--", "lattice", ...args], { cwd: project, timeoutMs: 60_000 });

  beforeAll(async () => {
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      `${JSON.stringify({ name: "lattice-packed-consumer", private: true, type: "module" }, null, 2)}\n`,
    );
    const tarballs = PACKAGES.map((p) => packedOf(p.manifest.name).tarball);
    // The registry serves the packages' own dependencies (and @types/node for the consumer); npm takes the
    // @lattice-cache/* ones from the tarballs, which satisfy every range between them.
    const [install, server] = await Promise.all([
      run(
        "npm",
        ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs, `@types/node@${TYPES_NODE}`],
        { cwd: project, timeoutMs: 360_000 },
      ),
      startNatsServer(),
    ]);
    nats = server;
    if (install.code !== 0) throw new Error(`npm install failed: ${explain(install)}`);
    copyFileSync(CONSUMER_SOURCE, join(project, "consumer.ts"));
  });

  it("takes every @lattice-cache package from its tarball, once", () => {
    const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8")) as {
      packages: Record<string, { resolved?: string; version?: string }>;
    };
    const ours = Object.entries(lock.packages).filter(([path]) =>
      path.includes("node_modules/@lattice-cache/"),
    );
    expect(ours.map(([path]) => path).sort()).toEqual(
      PACKAGES.map((p) => `node_modules/${p.manifest.name}`).sort(),
    );
    for (const [path, entry] of ours) {
      const { tarball, manifest } = packedOf(path.replace(/^node_modules\//, ""));
      expect(entry.resolved, path).toMatch(new RegExp(`^file:.*${basename(tarball).replace(/\./g, "\\.")}$`));
      expect(entry.version, path).toBe(manifest.version);
    }
  });

  it("type-checks a consumer of every door against the packed declarations", async () => {
    // The consumer must use every door the packages open, so a new one cannot ship unchecked.
    const consumer = readFileSync(CONSUMER_SOURCE, "utf8");
    const imported = ts.preProcessFile(consumer, true, true).importedFiles.map((f) => f.fileName);
    const doors = PACKAGES.flatMap((p) => doorsOf(packedOf(p.manifest.name).manifest));
    expect(
      doors.filter((door) => !imported.includes(door)),
      "doors src/fixture/consumer.ts leaves out",
    ).toEqual([]);
    writeFileSync(
      join(project, "tsconfig.json"),
      `${JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            lib: ["ES2023"],
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            verbatimModuleSyntax: true,
            // The packed .d.ts files are checked too: one naming a type from an unshipped file or an
            // undeclared package fails here.
            skipLibCheck: false,
            types: ["node"],
          },
          files: ["consumer.ts"],
        },
        null,
        2,
      )}\n`,
    );
    const tsc = await run(process.execPath, [TSC, "-p", "tsconfig.json", "--noEmit"], {
      cwd: project,
      timeoutMs: 120_000,
    });
    expect(tsc.code, explain(tsc)).toBe(0);
  });

  it("runs the consumer against a real nats-server (LatticeCache on JetStreamBackend: put, get, close); the bin reads it", async () => {
    const js = ts.transpileModule(readFileSync(join(project, "consumer.ts"), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: "consumer.ts",
    });
    writeFileSync(join(project, "consumer.mjs"), js.outputText);
    const r = await run(process.execPath, ["consumer.mjs", nats.url, "packedlib"], {
      cwd: project,
      timeoutMs: 60_000,
    });
    expect(r.code, explain(r)).toBe(0);
    const report = JSON.parse(r.stdout) as {
      doors: Record<string, string>;
      hostVersion: string;
      cache: {
        state: string;
        writes: { key: string; revision: number }[];
        wrote: { claims: unknown; linkdef: Record<string, unknown> };
        read: { claims?: unknown; linkdef?: Record<string, unknown> };
      };
    };
    expect(Object.values(report.doors).every((t) => t === "function")).toBe(true);
    expect(report.hostVersion).toBe(packedOf("@lattice-cache/host").manifest.version);
    expect(report.cache.state).toBe("live");
    expect(report.cache.writes.map((w) => w.key)).toEqual([
      "CLAIMS_MPACKEDCONSUMER",
      expect.stringMatching(/^LINKDEF_[0-9A-F]{64}$/),
    ]);
    expect(report.cache.read.claims).toEqual(report.cache.wrote.claims);
    expect(report.cache.read.linkdef).toMatchObject({ ...report.cache.wrote.linkdef, link_name: "default" });
    const ls = await lattice(["linkdefs", "ls", "--json", "--nats-url", nats.url, "--prefix", "packedlib"]);
    expect(ls.code, explain(ls)).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([report.cache.read.linkdef]);
  });

  describe("the packed lattice bin", () => {
    const server = () => ["--nats-url", nats.url, "--prefix", "packedcli"];

    it("prints its help and version (npx lattice)", async () => {
      const help = await lattice(["--help"]);
      expect(help.code, explain(help)).toBe(0);
      expect(help.stdout).toMatch(/^Usage: lattice /);
      for (const command of ["claims", "linkdefs", "doctor", "up"]) expect(help.stdout).toContain(command);
      const version = await lattice(["--version"]);
      expect(version.code, explain(version)).toBe(0);
      expect(version.stdout.trim()).toBe(packedOf("@lattice-cache/host").manifest.version);
    });

    it("puts and lists claims against the nats-server", async () => {
      const claims = {
        sub: "MPACKEDCLI",
        name: "packed-cli",
        iss: "APACKEDISSUER",
        caps: ["wasmcloud:httpserver"],
      };
      writeFileSync(join(project, "claims.json"), JSON.stringify(claims));
      // A second lattice on the server (the library's test made the first): created on purpose (#28).
      const put = await lattice([
        "claims",
        "put",
        "--file",
        "claims.json",
        "--create-lattice",
        "always",
        ...server(),
      ]);
      expect(put.code, explain(put)).toBe(0);
      expect(put.stdout).toMatch(/^put CLAIMS_MPACKEDCLI \(revision \d+\)/);
      const ls = await lattice(["claims", "ls", "--json", ...server()]);
      expect(ls.code, explain(ls)).toBe(0);
      expect(JSON.parse(ls.stdout)).toEqual([
        expect.objectContaining({ sub: "MPACKEDCLI", name: "packed-cli", caps: "wasmcloud:httpserver" }),
      ]);
    });

    it("passes lattice doctor", async () => {
      const doctor = await lattice(["doctor", "--json", ...server()]);
      expect(doctor.code, explain(doctor)).toBe(0);
      const checks = JSON.parse(doctor.stdout) as { name: string; outcome: string }[];
      expect(checks.filter((c) => c.outcome === "fail")).toEqual([]);
      expect(checks.map((c) => c.name)).toContain("bucket storage");
    });
  });
});

describe("a backend plugin made by pnpm turbo gen backend, installed beside lattice", () => {
  // The generator's package, its store parts written (generated-plugin.ts), packed, and installed with the
  // workspace's tarballs in a project of its own: the installed lattice was not built with it.
  const project = join(work, "plugin-project");
  const NAME = "fake-store-x";
  const HOST_ID = "packed-plugin-host";
  let generated: GeneratedPlugin;
  let natsServer: NatsServerHandle;
  let redisServer: RedisServerHandle;
  /** The installed bin, run as a user of the project runs it; the store and NATS come from the environment. */
  const lattice = (args: readonly string[]) =>
    run(join(project, "node_modules", ".bin", "lattice"), args, {
      cwd: project,
      env: pluginEnv(),
      timeoutMs: 60_000,
    });
  const pluginEnv = () =>
    cleanEnv({
      LATTICE_FAKE_STORE_X_URL: redisServer.url,
      LATTICE_NATS_URL: natsServer.url,
      LATTICE_PREFIX: "packedplugin",
      LATTICE_CREATE_LATTICE: "always",
    });

  beforeAll(async () => {
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      `${JSON.stringify({ name: "lattice-plugin-user", private: true, type: "module" }, null, 2)}\n`,
    );
    [generated, natsServer, redisServer] = await Promise.all([
      packGeneratedPlugin(NAME, join(work, "tarballs")),
      startNatsServer(),
      startRedisServer(),
    ]);
    const tarballs = PACKAGES.map((p) => packedOf(p.manifest.name).tarball);
    const install = await run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--loglevel=error",
        ...tarballs,
        generated.tarball,
      ],
      { cwd: project, timeoutMs: 360_000 },
    );
    if (install.code !== 0) throw new Error(`npm install failed: ${explain(install)}`);
  }, 900_000);

  afterAll(() => {
    if (generated) console.log(`generated plugin timings:\n  ${generated.timings.join("\n  ")}`);
  });

  it("is the package the generator named, with its ./host door, taken from its tarball", () => {
    const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8")) as {
      packages: Record<string, { resolved?: string }>;
    };
    expect(lock.packages[`node_modules/${generated.names.packageName}`]?.resolved).toMatch(
      new RegExp(`^file:.*${basename(generated.tarball).replace(/\./g, "\\.")}$`),
    );
    const manifest = readManifest(join(project, "node_modules", generated.names.packageName));
    expect(doorsOf(manifest)).toEqual([generated.names.packageName, `${generated.names.packageName}/host`]);
  });

  it("brings its settings to the installed lattice: config print, --help", async () => {
    const printed = await lattice(["--backend", NAME, "config", "print", "--json"]);
    expect(printed.code, explain(printed)).toBe(0);
    expect(JSON.parse(printed.stdout)).toMatchObject({
      backend: NAME,
      fakeStoreX: { url: redisServer.url },
      nats: { servers: [natsServer.url] },
    });
    const help = await lattice(["--backend", NAME, "--help"]);
    expect(help.code, explain(help)).toBe(0);
    expect(help.stdout).toContain("--fake-store-x-url <url>");
  });

  it("writes and lists link definitions on its store, passes doctor, and its host answers status --hosts", async () => {
    const put = await lattice([
      "--backend",
      NAME,
      "linkdefs",
      "put",
      "--actor",
      "MPACKEDPLUGIN",
      "--provider",
      "VPACKEDPLUGIN",
      "--contract",
      "wasmcloud:keyvalue",
      "--value",
      "bucket=packed",
    ]);
    expect(put.code, explain(put)).toBe(0);
    const ls = await lattice(["--backend", NAME, "linkdefs", "ls", "--json"]);
    expect(ls.code, explain(ls)).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([
      expect.objectContaining({
        actor_id: "MPACKEDPLUGIN",
        provider_id: "VPACKEDPLUGIN",
        values: { bucket: "packed" },
      }),
    ]);

    const doctor = await lattice(["--backend", NAME, "doctor", "--json"]);
    const checks = JSON.parse(doctor.stdout) as { name: string; outcome: string }[];
    expect(
      checks.filter((c) => c.outcome === "fail"),
      explain(doctor),
    ).toEqual([]);
    expect(checks).toContainEqual(
      expect.objectContaining({ name: `${NAME} server reachable`, outcome: "pass" }),
    );
    expect(doctor.code, explain(doctor)).toBe(0);

    // A host on the plugin's backend, answering on the plugin's status channel (NATS).
    const port = await freePort();
    const host = spawn(
      join(project, "node_modules", ".bin", "lattice"),
      ["--backend", NAME, "--host-id", HOST_ID, "--http-port", String(port), "host"],
      { cwd: project, env: pluginEnv(), stdio: ["ignore", "ignore", "pipe"] },
    );
    let hostLog = "";
    host.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      hostLog += chunk;
    });
    const exited = new Promise((resolve) => host.once("close", resolve));
    try {
      await waitFor(
        async () => host.exitCode === null && (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
        { timeoutMs: 60_000, what: `the host on ${NAME} to be ready` },
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n--- host log\n${hostLog.slice(-6000)}`);
      });
      const status = await waitFor(
        async () => {
          const r = await lattice([
            "--backend",
            NAME,
            "status",
            "--hosts",
            "--json",
            "--expect-hosts",
            HOST_ID,
          ]);
          return r.code === 0 ? r : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000, what: `${HOST_ID} to answer status --hosts` },
      );
      expect(status.stdout).toContain(HOST_ID);
    } finally {
      host.kill("SIGTERM");
      await exited;
    }
  });

  it("refuses a plugin built for another plugin API version, saying which one lattice loads", async () => {
    // The generated plugin as a release for the next API version would stamp it.
    const dir = join(project, "next-api-plugin");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "next-api-plugin", type: "module", exports: { "./host": "./host.js" } }),
    );
    writeFileSync(
      join(dir, "host.js"),
      `import { plugin as built } from "${generated.names.packageName}/host";\n` +
        'export const plugin = { ...built, name: "fake-store-next", pluginApiVersion: built.pluginApiVersion + 1 };\n',
    );
    const r = await lattice([
      "--plugins",
      "./next-api-plugin",
      "--backend",
      "fake-store-next",
      "config",
      "print",
    ]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(
      /next-api-plugin is a backend plugin for plugin API version 2, but this lattice loads version 1/,
    );
  });

  it("names the package to install for a backend nobody installed", async () => {
    const r = await lattice(["--backend", "fake-store-missing", "linkdefs", "ls"]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toContain("npm install lattice-backend-fake-store-missing");
    expect(r.stderr).toContain(`not built in (jetstream, redis, legacy, memory, postgres)`);
  });
});
