import { execFile } from "node:child_process";
import { chmod, realpath, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { promisify } from "node:util";
import { findExecutable } from "./find-executable.js";
import type { ProcessUser } from "./managed-process.js";

const run = promisify(execFile);

/** The unprivileged system user the harness runs servers as that refuse root (PostgreSQL). */
export const SERVER_USER = "lattice-pg";

/** How often creating the user is tried: parallel test workers may race for `/etc/passwd`'s lock. */
const CREATE_ATTEMPTS = 5;

/** The uid and gid of `name` (`getent passwd`), or undefined when there is no such user. */
async function lookUpUser(name: string): Promise<ProcessUser | undefined> {
  try {
    const { stdout } = await run("getent", ["passwd", name]);
    const [, , uid, gid] = stdout.trim().split(":");
    return uid === undefined || gid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined; // exit code 2: no such user
  }
}

async function createUser(name: string): Promise<ProcessUser> {
  let lastError = "";
  for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
    const existing = await lookUpUser(name);
    if (existing !== undefined) {
      return existing;
    }
    try {
      await run(findExecutable("useradd"), [
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        name,
      ]);
    } catch (error) {
      // Another worker created it at the same moment (exit 9) or holds the lock on /etc/passwd (exit 10).
      lastError = ((error as { stderr?: string }).stderr ?? String(error)).trim();
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  const created = await lookUpUser(name);
  if (created === undefined) {
    throw new Error(`could not create the system user ${name} (useradd --system): ${lastError}`);
  }
  return created;
}

let serverUser: Promise<ProcessUser> | undefined;

/**
 * The user to run a server as that refuses to run as root: undefined (this process's own user) unless we
 * are root; as root, the system user {@link SERVER_USER}, created with `useradd --system` when missing.
 */
export function unprivilegedUser(): Promise<ProcessUser | undefined> {
  if (process.getuid?.() !== 0) {
    return Promise.resolve(undefined);
  }
  serverUser ??= createUser(SERVER_USER).catch((error: unknown) => {
    serverUser = undefined;
    throw error;
  });
  return serverUser;
}

/**
 * Lets every user traverse (not list) each directory above `dir`, so that a server running as another
 * user reaches its dir even under a private `$TMPDIR` (mode 0700; the directories above where a symbolic
 * link leads). `/tmp` itself needs no change.
 */
export async function makeAncestorsTraversable(dir: string): Promise<void> {
  for (let parent = dirname(await realpath(dir)); ; parent = dirname(parent)) {
    const { mode } = await stat(parent);
    if ((mode & 0o001) === 0) {
      await chmod(parent, (mode & 0o7777) | 0o001);
    }
    if (dirname(parent) === parent) {
      return;
    }
  }
}
