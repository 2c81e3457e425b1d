// A temporary copy of the repository to run the generator in, so that nothing it does reaches the real tree:
// the files git knows (tracked, and new ones not ignored: the working tree as it is, uncommitted work
// included), and the installed dependencies laid out the way pnpm lays them out — installed packages shared
// by symlink, every folder a tool may write to the copy's own — plus the links `pnpm install` would add for
// the packages the generator made. Offline, and fast.
import { execFileSync, spawn } from "node:child_process";
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

/**
 * The environment of commands run in a copy: no telemetry, no update checks, no colours in the output read
 * back — and no install by pnpm: turbo runs each task through `pnpm run`, and pnpm 12 installs first when it
 * finds the workspace changed (verifyDepsBeforeRun), which would write into the package folders the copy
 * shares with the real tree.
 */
export const COPY_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  pnpm_config_verify_deps_before_run: "false",
  TURBO_TELEMETRY_DISABLED: "1",
  TURBO_NO_UPDATE_NOTIFIER: "1",
  DO_NOT_TRACK: "1",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

/** The folders pnpm-workspace.yaml makes packages of. */
const WORKSPACE_GROUPS = ["packages", "apps", "tooling"];

/** Copies what git lists in `root` into a new temporary directory and returns it. */
export async function copyRepository(root: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), "lattice-generator-"));
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = [...new Set(listed.split("\0").filter((file) => file !== ""))];
  const dirs = new Set(files.map((file) => dirname(join(copy, file))));
  await Promise.all([...dirs].map((dir) => mkdir(dir, { recursive: true })));
  await Promise.all(
    files.map(async (file) => {
      try {
        await copyFile(join(root, file), join(copy, file));
      } catch (error) {
        // Deleted in the working tree but still tracked: the copy is of the working tree.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }),
  );
  return copy;
}

/** The workspace package directories of `root`, relative (`packages/core`, …). */
export async function workspacePackages(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const group of WORKSPACE_GROUPS) {
    let entries: string[];
    try {
      entries = await readdir(join(root, group));
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      if (await exists(join(root, group, entry, "package.json"))) found.push(join(group, entry));
    }
  }
  return found;
}

/**
 * Gives the copy the real tree's installed dependencies without sharing a folder anything writes to: every
 * `node_modules` of the copy, its `.pnpm` store index, `.pnpm/node_modules`, the `@scope` folders and `.bin`
 * are folders of the copy's own, holding copies of the real ones' files and symlinks (relative ones
 * recreated as they are, so that `@lattice-cache/core` is the copy's core); only each installed package's own
 * folder is shared, by a symlink. Caches (`.cache`, `.vite`, …) are left out. Whatever a tool run in the copy
 * writes into `node_modules` — pnpm's state, a new package's links — stays in the copy.
 */
export async function linkInstalledDependencies(root: string, copy: string): Promise<void> {
  await mirror(join(root, "node_modules"), join(copy, "node_modules"), "modules");
  for (const pkg of await workspacePackages(copy)) {
    await mirror(join(root, pkg, "node_modules"), join(copy, pkg, "node_modules"), "modules");
  }
}

/**
 * What a folder of `node_modules` holds: `modules` (packages, `@scope` folders, `.bin`, and at the root the
 * `.pnpm` store), `store` (`.pnpm`: one folder per installed package, and its own `node_modules` of hoisted
 * links), `links` (an `@scope` folder or `.bin`: symlinks and shims only).
 */
type Layout = "modules" | "store" | "links";

/** Recreates `from` in `to` as {@link linkInstalledDependencies} says. A missing `from` makes nothing. */
async function mirror(from: string, to: string, layout: Layout): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(from);
  } catch {
    return;
  }
  await mkdir(to, { recursive: true });
  for (const entry of entries) {
    const source = join(from, entry);
    const target = join(to, entry);
    const stat = await lstat(source);
    if (stat.isSymbolicLink()) {
      await symlink(await readlink(source), target);
    } else if (stat.isFile()) {
      await copyFile(source, target);
    } else if (!stat.isDirectory()) {
      // sockets, fifos: nothing a build reads
    } else if (layout === "modules" && entry === ".pnpm") {
      await mirror(source, target, "store");
    } else if (layout === "store" && entry === "node_modules") {
      await mirror(source, target, "modules");
    } else if (layout === "modules" && (entry.startsWith("@") || entry === ".bin")) {
      await mirror(source, target, "links");
    } else if (!entry.startsWith(".")) {
      await symlink(source, target);
    }
  }
}

/**
 * Gives the copy the real tree's turbo cache entries (`.turbo/cache`: each task's artifact and metadata, by
 * symlink) in a cache folder of its own, so that tasks whose inputs did not change are restored instead of
 * run again, and whatever turbo writes there (restore manifests, new entries) stays in the copy. In a linked
 * git worktree turbo keeps its cache in the main worktree's `.turbo/cache` (its shared worktree cache), so
 * that one's entries are linked too.
 */
export async function linkTurboCache(root: string, copy: string): Promise<void> {
  const to = join(copy, ".turbo", "cache");
  await mkdir(to, { recursive: true });
  const linked = new Set<string>();
  for (const from of turboCacheDirs(root)) {
    let entries: string[];
    try {
      entries = await readdir(from);
    } catch {
      continue; // nothing built there yet
    }
    for (const entry of entries) {
      if (linked.has(entry) || !(entry.endsWith(".tar.zst") || entry.endsWith("-meta.json"))) continue;
      linked.add(entry);
      await symlink(join(from, entry), join(to, entry));
    }
  }
}

/** Where turbo may keep the cache of the tree at `root`: its own `.turbo/cache`, and its main worktree's. */
function turboCacheDirs(root: string): string[] {
  const dirs = [join(root, ".turbo", "cache")];
  try {
    const common = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    const main = join(dirname(common), ".turbo", "cache");
    if (!dirs.includes(main)) dirs.push(main);
  } catch {
    // not a git checkout: its own cache only
  }
  return dirs;
}

/**
 * What `pnpm install` links for the dependencies that have no link yet — those of a package the generator
 * just made: workspace packages (`"workspace:^"`) to their folders, and registry packages to the ones the
 * installed store already holds (its hoisted `.pnpm/node_modules`: the version the workspace installed, as an
 * offline install picks it). Returns the links made.
 */
export async function linkWorkspaceDependencies(copy: string): Promise<string[]> {
  const packages = await workspacePackages(copy);
  const byName = new Map<string, string>();
  for (const pkg of packages) byName.set((await manifest(copy, pkg)).name ?? "", pkg);
  const made: string[] = [];
  for (const pkg of packages) {
    const { dependencies = {}, devDependencies = {} } = await manifest(copy, pkg);
    for (const [name, version] of Object.entries({ ...dependencies, ...devDependencies })) {
      const link = join(copy, pkg, "node_modules", name);
      if (await exists(link)) continue;
      const workspace = version.startsWith("workspace:") ? byName.get(name) : undefined;
      const stored = join("node_modules", ".pnpm", "node_modules", name);
      const target = workspace ?? ((await exists(join(copy, stored))) ? stored : undefined);
      if (target === undefined) continue;
      await mkdir(dirname(link), { recursive: true });
      await symlink(relative(dirname(link), join(copy, target)), link);
      made.push(`${pkg}/node_modules/${name} -> ${target}`);
    }
  }
  return made;
}

interface Manifest {
  readonly name?: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

async function manifest(root: string, pkg: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(root, pkg, "package.json"), "utf8")) as Manifest;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes the copy. */
export async function removeCopy(copy: string): Promise<void> {
  await rm(copy, { recursive: true, force: true, maxRetries: 3 });
}

/** What a command printed, how it ended, and how long it took. */
export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly ms: number;
}

/**
 * Runs `command` in `cwd` and resolves when it exits (never rejects for a failure: the caller looks at the
 * result). Killed, with its process group, after `timeoutMs`.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    const append = (chunk: Buffer) => {
      output += chunk.toString("utf8");
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs} ms]\n`;
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - started });
    });
  });
}
