// Loading backend plugins a build of `lattice` was not made with, from installed packages: each package named
// in `plugins`, and — for a `backend` no registered plugin has — the package its name points at by
// convention: `@lattice-cache/{name}`, then `lattice-backend-{name}`. A plugin package exports its plugin from
// its `./host` door (`export const plugin`, or the default export). Packages are found from the current
// directory first (the user's project), then beside `lattice` itself; the plugin API version is checked
// before anything of the plugin is used, and its settings join the configuration when it is registered.
import { isAbsolute, resolve } from "node:path";
import { ConfigurationError, errorText } from "@lattice-cache/core";
import { type BackendPlugin, checkBackendPlugin, PluginLoadError } from "@lattice-cache/plugin";
import type { PluginRequest } from "../config/plugin-request.js";
import type { BackendRegistry } from "./backend-registry.js";
import {
  findProjectPackage,
  PLUGIN_DOOR,
  type PluginPackage,
  packageAt,
  resolveBesideLattice,
} from "./plugin-package.js";

/** What a backend name must look like to be looked for as a package (npm's rules, lowercase). */
const PLUGIN_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** The packages a backend named `name` is looked for in, in order. */
export function conventionPackages(name: string): readonly string[] {
  return [`@lattice-cache/${name}`, `lattice-backend-${name}`];
}

/** Where {@link loadRequestedPlugins} looks for packages. */
export interface PluginLoadOptions {
  /** The user's project: packages are found from here first (its node_modules), and paths resolved. */
  readonly cwd: string;
}

/**
 * Registers in `registry` the plugins `request` asks for: every package of `plugins`, then the package of a
 * `backend` the registry does not hold. Throws `ConfigurationError` naming the package to install when one
 * is missing, and `PluginLoadError` for a package that holds no plugin or one built for another plugin API
 * version.
 */
export async function loadRequestedPlugins(
  registry: BackendRegistry,
  request: PluginRequest,
  options: PluginLoadOptions,
): Promise<void> {
  for (const spec of request.plugins?.value ?? []) {
    const source = request.plugins?.source ?? "plugins";
    const found = locatePackage(spec, options.cwd);
    if (!found) throw missingPlugin(spec, source, options.cwd);
    register(registry, await importPlugin(found), found.name, source);
  }
  const backend = request.backend;
  if (backend === undefined || registry.names.includes(backend.value) || !PLUGIN_NAME.test(backend.value)) {
    // Known, or no name a package could have: validation says what `backend` may be.
    return;
  }
  for (const candidate of conventionPackages(backend.value)) {
    const found = locatePackage(candidate, options.cwd);
    if (!found) continue;
    const plugin = await importPlugin(found);
    if (plugin.name !== backend.value) {
      throw new PluginLoadError(
        "not-a-plugin",
        found.name,
        `${found.name} holds the backend plugin ${JSON.stringify(plugin.name)}, not ${JSON.stringify(backend.value)} ` +
          `(set by ${backend.source}): select it with backend: ${plugin.name}`,
      );
    }
    register(registry, plugin, found.name, backend.source);
    return;
  }
  throw missingBackend(backend.value, backend.source, registry.names, options.cwd);
}

/** A package as found: where, and its door (or none). */
type Located = Pick<PluginPackage, "name" | "door">;

/** `spec` (a package name, or a path to a package directory) as the project, then `lattice`, finds it. */
function locatePackage(spec: string, cwd: string): Located | undefined {
  if (isPath(spec)) return packageAt(resolve(cwd, spec));
  const project = findProjectPackage(spec, cwd);
  if (project) return project;
  const beside = resolveBesideLattice(spec);
  if (beside.found === "nothing") return undefined;
  return { name: spec, door: beside.found === "door" ? beside.url : undefined };
}

function isPath(spec: string): boolean {
  return spec.startsWith(".") || isAbsolute(spec);
}

/** Imports a package's `./host` door and checks what it exports is a plugin for this API version. */
async function importPlugin(found: Located): Promise<BackendPlugin> {
  if (found.door === undefined) {
    throw new PluginLoadError(
      "not-a-plugin",
      found.name,
      `${found.name} is not a backend plugin package: it has no ${PLUGIN_DOOR} door (exports["${PLUGIN_DOOR}"] in ` +
        "its package.json), where a plugin package exports its plugin",
    );
  }
  let module: { readonly plugin?: unknown; readonly default?: unknown };
  try {
    module = (await import(found.door)) as typeof module;
  } catch (error) {
    throw new ConfigurationError(
      `cannot load the backend plugin ${found.name} (${found.door}): ${errorText(error)}`,
      { field: "backend", cause: error },
    );
  }
  return checkBackendPlugin(module.plugin ?? module.default, found.name);
}

/** Registers `plugin` unless the registry holds it already; another plugin of the same name is an error. */
function register(
  registry: BackendRegistry,
  plugin: BackendPlugin,
  packageName: string,
  source: string,
): void {
  if (registry.names.includes(plugin.name)) {
    if (registry.get(plugin.name) === plugin) return;
    throw new ConfigurationError(
      `the plugin package ${packageName} (set by ${source}) adds the backend ${plugin.name}, which lattice ` +
        "already has (built in, or from another plugin package)",
      { field: "plugins" },
    );
  }
  try {
    registry.registerBackend(plugin, packageName);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    // Its settings clash with another backend's: often a second copy of @lattice-cache/plugin in the project.
    throw new ConfigurationError(
      `the backend plugin ${plugin.name} of ${packageName} (set by ${source}) cannot join lattice: ` +
        `${errorText(error)} — does it use the @lattice-cache/plugin lattice uses? (npm ls @lattice-cache/plugin)`,
      { field: "plugins", cause: error },
    );
  }
}

function missingBackend(
  name: string,
  source: string,
  known: readonly string[],
  cwd: string,
): ConfigurationError {
  const [official, community] = conventionPackages(name);
  return new ConfigurationError(
    `unknown backend ${JSON.stringify(name)} (set by ${source}): it is not built in (${known.join(", ")}), and ` +
      `no plugin package for it is installed — lattice looked for ${official} and ${community} from ${cwd} ` +
      `and beside lattice itself. Install its plugin, e.g. \`npm install ${community}\`, or name the plugin's ` +
      "package in `plugins` (apps/host/README.md, Backend plugins)",
    { field: "backend", allowed: known },
  );
}

function missingPlugin(spec: string, source: string, cwd: string): ConfigurationError {
  const message = isPath(spec)
    ? `the plugin directory ${resolve(cwd, spec)} (set by ${source}) holds no package.json`
    : `the plugin package ${spec} (set by ${source}) is not installed — lattice looked for it from ${cwd} and ` +
      `beside lattice itself: \`npm install ${spec}\``;
  return new ConfigurationError(message, { field: "plugins" });
}
