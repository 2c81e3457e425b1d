// The name `pnpm turbo gen backend` asks for, and every name derived from it: the package, the class, the
// host's config section, its environment variable and flag. Checked before anything is written.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** What the templates get, for the name `demo-db`. */
export interface BackendNames {
  /** `demo-db`: packages/demo-db, `backend: demo-db`, the backend's `name`, the URL scheme `demo-db:`. */
  readonly name: string;
  /** `@lattice-cache/demo-db`. */
  readonly packageName: string;
  /** `DemoDb`: `DemoDbBackend`, `DemoDbBackendOptions`, `DemoDbLogTransport`. */
  readonly pascal: string;
  /** `demoDb`: the host's config section key (`demoDb.url`) and `demoDbConfigSection`. */
  readonly camel: string;
  /** `DEMO_DB`: `DEMO_DB_BACKEND_DEFAULTS` and the variable `LATTICE_DEMO_DB_URL`. */
  readonly constant: string;
}

/** Lowercase words of letters and digits joined by single hyphens, a letter first. */
const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** Longer names make unwieldy class, variable and flag names. */
const MAX_LENGTH = 32;

/**
 * Names the host or the workspace already uses: the packages that are not backends, the built-in backends
 * and config sections (`nats`, `redis`), and the host's own settings (a backend's config section may not
 * take their key).
 */
const RESERVED = new Set([
  "core",
  "conformance",
  "host",
  "memory",
  "jetstream",
  "nats",
  "redis",
  "legacy",
  "backend",
  "plugin",
  "plugins",
  "prefix",
  "host-id",
  "log-level",
  "http",
  "connect-timeout-ms",
  "ready-timeout-ms",
  "max-value-bytes",
  "bridge",
]);

/** Every name the templates use, derived from a valid backend name. */
export function backendNames(name: string): BackendNames {
  const words = name.split("-");
  const capitalized = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return {
    name,
    packageName: `@lattice-cache/${name}`,
    pascal: capitalized.join(""),
    camel: (words[0] ?? "") + capitalized.slice(1).join(""),
    constant: words.map((word) => word.toUpperCase()).join("_"),
  };
}

/** The names of the workspace's packages (`@lattice-cache/core`, …) under `root`. */
function workspacePackageNames(root: string): Set<string> {
  const names = new Set<string>();
  for (const group of ["packages", "apps", "tooling"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      const manifest = join(dir, entry, "package.json");
      if (!existsSync(manifest)) continue;
      try {
        const name: unknown = JSON.parse(readFileSync(manifest, "utf8")).name;
        if (typeof name === "string") names.add(name);
      } catch {
        // an unreadable manifest names nothing
      }
    }
  }
  return names;
}

/**
 * `true` when `name` can be a new backend in the repository at `root`, else why not (the generator's
 * prompt shows it; `--args` fails with it).
 */
export function checkBackendName(name: unknown, root: string): true | string {
  if (typeof name !== "string" || name.trim() === "") {
    return "a backend needs a name, e.g. etcd";
  }
  if (!NAME.test(name)) {
    return (
      `"${name}" is not a backend name: lowercase letters and digits, words joined by single hyphens, ` +
      "a letter first (etcd, postgres, demo-db)"
    );
  }
  if (name.length > MAX_LENGTH) {
    return `"${name}" is longer than ${MAX_LENGTH} characters`;
  }
  if (RESERVED.has(name)) {
    return `"${name}" is taken: the workspace or the host already uses it (${[...RESERVED].join(", ")})`;
  }
  const names = backendNames(name);
  const taken = join("packages", name);
  if (existsSync(join(root, taken))) {
    return `"${name}" is taken: ${taken} exists`;
  }
  if (workspacePackageNames(root).has(names.packageName)) {
    return `"${name}" is taken: a workspace package is already named ${names.packageName}`;
  }
  return true;
}
