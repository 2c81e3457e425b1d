// What the packed-install test (packed-install.test.ts) needs: the workspace's publishable packages, running
// commands with a deadline and their output kept for the failure message, an environment free of the
// workspace's package-manager and lattice settings, and a look into a tarball (its entries, its imports).
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The package.json fields the test reads. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly main?: string;
  readonly types?: string;
  readonly exports?: unknown;
  readonly bin?: string | Readonly<Record<string, string>>;
  readonly files?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** A workspace package: its directory and its manifest. */
export interface WorkspacePackage {
  readonly dir: string;
  readonly manifest: Manifest;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Every package of packages/* and apps/* that is not private (what `changeset publish` would publish), by name. */
export function publishablePackages(): WorkspacePackage[] {
  return ["packages", "apps"]
    .flatMap((group) => {
      const groupDir = join(REPO_ROOT, group);
      return existsSync(groupDir) ? readdirSync(groupDir).map((name) => join(groupDir, name)) : [];
    })
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: readManifest(dir) }))
    .filter(({ manifest }) => manifest.private !== true)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/** The import specifiers a package's `exports` open: `@scope/name` for `.`, `@scope/name/testing` for `./testing`. */
export function doorsOf(manifest: Manifest): string[] {
  const exports = manifest.exports;
  if (exports === undefined || typeof exports === "string") return [manifest.name];
  const subpaths = Object.keys(exports as object).filter((k) => k.startsWith("."));
  if (subpaths.length === 0) return [manifest.name];
  return subpaths.map((subpath) => (subpath === "." ? manifest.name : `${manifest.name}${subpath.slice(1)}`));
}

/** Every file a manifest points at (`main`, `types`, every `exports` target, every `bin`), as `./`-less paths. */
export function filesNamedBy(manifest: Manifest): string[] {
  const targets: string[] = [];
  const collect = (entry: unknown): void => {
    if (typeof entry === "string") targets.push(entry);
    else if (entry !== null && typeof entry === "object") for (const v of Object.values(entry)) collect(v);
  };
  collect(manifest.main);
  collect(manifest.types);
  collect(manifest.exports);
  collect(manifest.bin);
  return [...new Set(targets.map((t) => t.replace(/^\.\//, "")))];
}

/** The outcome of a finished command. */
export interface RunResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Options of {@link run}. */
export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; the result then has `signal`. Default 60 s. */
  readonly timeoutMs?: number;
}

/** Runs `command args…` to completion, never rejecting: the caller checks `code` and shows {@link explain}. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const line = [command, ...args].join(" ");
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs ?? 60_000} ms]`;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolveRun({ command: line, code, signal, stdout, stderr, durationMs: Date.now() - started });
    };
    child.on("error", (error) => {
      stderr += `\n[spawn error] ${error.message}`;
      finish(null, null);
    });
    child.on("close", finish);
  });
}

/** A failure message: the command, how it ended, and the end of its output. */
export function explain(r: RunResult): string {
  const tail = (s: string) => (s.length > 6000 ? `…${s.slice(-6000)}` : s);
  const ended = r.signal ? `was killed (${r.signal})` : `exited ${r.code}`;
  return `\`${r.command}\` ${ended} after ${r.durationMs} ms\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;
}

/** npm settings a machine may need to reach its registry; every other npm_* variable is the caller's run's. */
const KEPT_NPM_CONFIG =
  /^npm_config_(registry|@[^:]+:registry|cache|cafile|ca|strict_ssl|proxy|https_proxy|http_proxy|noproxy|userconfig|globalconfig)$/i;

/**
 * This process's environment as a clean project outside the workspace would see it: without what `npm test`,
 * pnpm, turbo and vitest set for their own runs (`npm_*` — among them npm's prefixes and the user agent that
 * makes npm behave as pnpm —, `pnpm_*`, `INIT_CWD`, `VITEST*`, `NODE_ENV=test`) and without lattice settings
 * (`LATTICE_*`, `WASMCLOUD_*`) that would reconfigure the CLI; plus `extra`.
 */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !KEPT_NPM_CONFIG.test(key)) continue;
    if (/^(pnpm_|INIT_CWD$|VITEST|TEST$|LATTICE_|WASMCLOUD_|TURBO_)/i.test(key)) continue;
    if (key === "NODE_ENV" && value === "test") continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** The entries of a tarball (`tar -tzf`), without the `package/` every npm tarball puts them in. */
export async function tarballEntries(tarball: string): Promise<string[]> {
  const r = await run("tar", ["-tzf", tarball], { cwd: dirname(tarball) });
  if (r.code !== 0) throw new Error(explain(r));
  return r.stdout
    .split("\n")
    .filter((line) => line !== "" && !line.endsWith("/"))
    .map((line) => line.replace(/^package\//, ""));
}

/**
 * The packages a module imports (`import`, `export … from`, `import()`, `require()`; comments are no imports),
 * as package names: `@scope/name/sub` → `@scope/name`, `node:fs` and `fs` → `node:fs`. Relative imports are
 * left out.
 */
export function importedPackages(source: string): string[] {
  const { importedFiles } = ts.preProcessFile(source, true, true);
  const names = new Set<string>();
  for (const { fileName } of importedFiles) {
    if (fileName.startsWith(".") || fileName.startsWith("/")) continue;
    const parts = fileName.split("/");
    const name = fileName.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? fileName);
    names.add(isBuiltin(name) ? `node:${name.replace(/^node:/, "")}` : name);
  }
  return [...names];
}

function isBuiltin(name: string): boolean {
  return name.startsWith("node:") || builtinModules.includes(name);
}
