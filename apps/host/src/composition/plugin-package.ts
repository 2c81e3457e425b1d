// Finding a plugin package's `./host` door without importing it: in the user's project (the current
// directory's node_modules, and the package the directory is in), then where `lattice` itself resolves
// packages (beside a global install). Node resolves an ESM import only from the importing module's own
// location, so the project's part reads the package's `exports` the way Node does for `import` (conditions
// `node`, `import`, `module-sync`, `default`; exact subpaths and `*` patterns).
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, parse, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The subpath a plugin package exports its plugin from. */
export const PLUGIN_DOOR = "./host";

/** The conditions Node matches when it imports a module (in the target's order, not this one's). */
const IMPORT_CONDITIONS = new Set(["node", "import", "module-sync", "default"]);

/** A plugin package found on disk. */
export interface PluginPackage {
  /** Its name (from its package.json). */
  readonly name: string;
  /** Its directory. */
  readonly dir: string;
  /** Its version, when its package.json has one. */
  readonly version?: string;
  /** The URL of the module its `./host` door opens; undefined when it has no such door. */
  readonly door: string | undefined;
}

interface Manifest {
  readonly name?: unknown;
  readonly version?: unknown;
  readonly exports?: unknown;
}

/**
 * The package `name` as the project at `fromDir` sees it: the package `fromDir` is in when it has that name
 * (a plugin's own directory), else `node_modules/{name}` of `fromDir` or the nearest ancestor that has one.
 * Undefined when there is none.
 */
export function findProjectPackage(name: string, fromDir: string): PluginPackage | undefined {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const own = readManifest(dir);
    if (own?.name === name) return pluginPackageAt(dir, own);
    const installed = join(dir, "node_modules", ...name.split("/"));
    const manifest = readManifest(installed);
    if (manifest) return pluginPackageAt(installed, manifest);
    if (dir === parse(dir).root) return undefined;
  }
}

/** The package in directory `dir` (a path given as a plugin); undefined when `dir` holds no package.json. */
export function packageAt(dir: string): PluginPackage | undefined {
  const manifest = readManifest(dir);
  return manifest ? pluginPackageAt(dir, manifest) : undefined;
}

function pluginPackageAt(dir: string, manifest: Manifest): PluginPackage {
  const target = exportTarget(manifest.exports, PLUGIN_DOOR);
  return {
    name: typeof manifest.name === "string" ? manifest.name : dir,
    dir,
    ...(typeof manifest.version === "string" && { version: manifest.version }),
    door: target === undefined ? undefined : pathToFileURL(join(dir, target)).href,
  };
}

function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, "package.json");
  if (!existsSync(file) || !statSync(file).isFile()) return undefined;
  try {
    const manifest: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof manifest === "object" && manifest !== null ? (manifest as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The file `exports` maps `subpath` to for an import (`./dist/host/index.js`), or undefined when the package
 * does not export it. A string or a conditions object exports `.` only.
 */
export function exportTarget(exports: unknown, subpath: string): string | undefined {
  if (exports === undefined || exports === null) return undefined;
  const map = subpathMap(exports);
  const exact = map[subpath];
  if (exact !== undefined) return conditionalTarget(exact, "");
  // Patterns: "./features/*" → "./dist/features/*.js"; the longest prefix wins, as in Node.
  const patterns = Object.keys(map)
    .filter((key) => {
      const star = key.indexOf("*");
      return (
        star >= 0 &&
        subpath.startsWith(key.slice(0, star)) &&
        subpath.endsWith(key.slice(star + 1)) &&
        subpath.length >= key.length
      );
    })
    .sort((a, b) => b.indexOf("*") - a.indexOf("*"));
  const pattern = patterns[0];
  if (pattern === undefined) return undefined;
  const star = pattern.indexOf("*");
  const match = subpath.slice(star, subpath.length - (pattern.length - star - 1));
  return conditionalTarget(map[pattern], match);
}

/** `exports` as a map of subpaths: `"./x"`, `{ import: … }` and `[…]` export `.` only. */
function subpathMap(exports: unknown): Record<string, unknown> {
  if (typeof exports !== "object" || Array.isArray(exports)) return { ".": exports };
  const keys = Object.keys(exports as object);
  return keys.some((key) => key.startsWith(".")) ? (exports as Record<string, unknown>) : { ".": exports };
}

/** The first target an import takes: conditions in the object's order, the first valid entry of a list. */
function conditionalTarget(target: unknown, match: string): string | undefined {
  if (typeof target === "string") {
    return target.startsWith("./") ? target.replaceAll("*", match) : undefined;
  }
  if (Array.isArray(target)) {
    for (const entry of target) {
      const found = conditionalTarget(entry, match);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof target === "object" && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!IMPORT_CONDITIONS.has(condition)) continue;
      const found = conditionalTarget(value, match);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Where `lattice` itself finds a plugin package's door: the URL, or why there is none. */
export type BesideLattice =
  | { readonly found: "door"; readonly url: string }
  | { readonly found: "no-door" }
  | { readonly found: "nothing" };

/**
 * `{name}/host` as `lattice` itself imports it (from its own location: a package installed beside it, as in a
 * global install).
 */
export function resolveBesideLattice(name: string): BesideLattice {
  try {
    return { found: "door", url: import.meta.resolve(`${name}${PLUGIN_DOOR.slice(1)}`) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { found: code === "ERR_PACKAGE_PATH_NOT_EXPORTED" ? "no-door" : "nothing" };
  }
}
