// A backend plugin package as a contributor makes one, for the packed-install test: `pnpm turbo gen backend`
// run in a temporary copy of the repository (tooling/backend-generator/src/repository-copy.ts: the real tree
// is never touched), its store parts written, built there and packed with `pnpm pack` — a tarball an installed
// `lattice` that was not built with it can load. The generated skeleton's store parts (open, head, write, the
// feed) throw "not implemented" until a contributor writes them against their store; the test's stand-in for
// that step delegates them to the Redis backend (a redis-server is at hand here), leaving everything the
// generator made for the host — the options schema, the `./host` door with its plugin, status channel and
// doctor check, the package manifest — as generated.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BackendNames, backendNames } from "../../../turbo/generators/backend-name.js";
import {
  COPY_ENV,
  copyRepository,
  linkInstalledDependencies,
  linkTurboCache,
  linkWorkspaceDependencies,
  removeCopy,
  run as runInCopy,
} from "../../backend-generator/src/repository-copy.js";
import { REPO_ROOT } from "./packing.js";

/** The CLI `turbo gen` hands generators to (`@turbo/gen`), run directly: offline. */
const GEN_CLI = join(REPO_ROOT, "node_modules", "@turbo", "gen", "dist", "cli.js");

/** The packed plugin, and how long each step took. */
export interface GeneratedPlugin {
  readonly names: BackendNames;
  readonly tarball: string;
  readonly timings: readonly string[];
}

/**
 * Generates the backend `name` (URL scheme `redis`, server `redis-server`) in a copy of the repository,
 * writes its store parts, builds and packs it into `tarballs`, and removes the copy.
 */
export async function packGeneratedPlugin(name: string, tarballs: string): Promise<GeneratedPlugin> {
  const names = backendNames(name);
  const timings: string[] = [];
  const started = Date.now();
  const copy = await copyRepository(REPO_ROOT);
  try {
    await linkInstalledDependencies(REPO_ROOT, copy);
    await linkTurboCache(REPO_ROOT, copy);
    timings.push(`copy the repository: ${seconds(Date.now() - started)}`);
    const step = async (label: string, command: string, args: readonly string[], cwd = copy) => {
      // Generous: on a busy machine whatever the turbo cache does not restore is built here.
      const result = await runInCopy(command, args, { cwd, env: COPY_ENV, timeoutMs: 420_000 });
      timings.push(`${label}: ${seconds(result.ms)}`);
      if (result.code !== 0) {
        throw new Error(`${label} exited with ${result.code ?? result.signal}:\n${result.output}`);
      }
      return result.output;
    };
    await step("pnpm turbo gen backend", process.execPath, [
      GEN_CLI,
      "run",
      "backend",
      "--args",
      name,
      "redis",
      "redis-server",
    ]);
    const packageDir = join(copy, "packages", name);
    writeStoreParts(packageDir, names);
    await linkWorkspaceDependencies(copy);
    await step("turbo run build", join(copy, "node_modules", ".bin", "turbo"), [
      "run",
      "build",
      `--filter=${names.packageName}`,
      "--cache=local:r",
      "--output-logs=errors-only",
      "--ui=stream",
    ]);
    const packed = await step(
      "pnpm pack",
      "pnpm",
      ["--loglevel", "silent", "pack", "--pack-destination", tarballs, "--json"],
      packageDir,
    );
    const tarball = (JSON.parse(packed.slice(packed.indexOf("{"))) as { filename: string }).filename;
    return { names, tarball, timings };
  } finally {
    await removeCopy(copy);
  }
}

/**
 * The contributor's steps 3 and 4 (open, head, write, close, the feed), stood in for by the Redis backend:
 * `src/<name>-backend.ts` delegates to it, and the package depends on `@lattice-cache/redis`.
 */
function writeStoreParts(packageDir: string, n: BackendNames): void {
  const manifestFile = join(packageDir, "package.json");
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as {
    dependencies: Record<string, string>;
  };
  manifest.dependencies["@lattice-cache/redis"] = "workspace:^";
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(packageDir, "src", `${n.name}-backend.ts`),
    `// The packed-install test's stand-in for the store parts a contributor writes: every LatticeBackend
// member delegated to the Redis backend.
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendHead,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  type LatticeBackend,
  type WriteRequest,
  type WriteResult,
} from "@lattice-cache/core/backend";
import { RedisBackend } from "@lattice-cache/redis";
import { type ${n.pascal}BackendOptions, parse${n.pascal}BackendOptions } from "./${n.name}-backend-options.js";

/** A lattice backend on ${n.name} (here: on Redis). */
export class ${n.pascal}Backend implements LatticeBackend {
  readonly specificationVersion = BACKEND_SPECIFICATION_VERSION;
  readonly name = "${n.name}";
  readonly capabilities: BackendCapabilities;
  private readonly store: RedisBackend;

  constructor(options: ${n.pascal}BackendOptions) {
    const { url, prefix, logger } = parse${n.pascal}BackendOptions(options);
    this.store = new RedisBackend({ url, prefix, ...(logger && { logger }) });
    this.capabilities = this.store.capabilities;
  }

  open(): Promise<void> {
    return this.store.open();
  }

  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    return this.store.subscribe(from, sink);
  }

  write(request: WriteRequest): Promise<WriteResult> {
    return this.store.write(request);
  }

  head(): Promise<BackendHead> {
    return this.store.head();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  describe(): Readonly<Record<string, unknown>> {
    return this.store.describe();
  }
}
`,
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
