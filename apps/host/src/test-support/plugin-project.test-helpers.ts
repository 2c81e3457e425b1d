// A user's project with backend plugin packages installed, for tests of plugin loading: a temporary directory
// whose node_modules holds the workspace's @lattice-cache/core and @lattice-cache/plugin (linked, as an
// install would place them) and small plugin packages written here — plain ESM, each exporting from its
// `./host` door a plugin whose backend is core's memory backend and whose section has one setting.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./lattice-process.test-helpers.js";

/** One plugin package of the project. */
export interface FixturePlugin {
  /** Its package name: `lattice-backend-fake-store-a`, `@fake-scope/…`. */
  readonly packageName: string;
  /** The backend name of its plugin. */
  readonly backend: string;
  /** The key of its config section (one setting, `endpoint`). */
  readonly section: string;
  /** The plugin API version it claims. Default: the contract's. */
  readonly apiVersion?: number;
  /** How the door exports the plugin. Default `named` (`export const plugin`). */
  readonly exportAs?: "named" | "default";
  /** Where the package lives, relative to the project. Default `node_modules/{packageName}`. */
  readonly at?: string;
  /** Leave out the `./host` door (a package that is no plugin). */
  readonly withoutDoor?: boolean;
}

/** The env variable and flag of a fixture plugin's `endpoint` setting. */
export function endpointBinding(plugin: FixturePlugin): { env: string; flag: string } {
  const upper = plugin.backend.toUpperCase().replace(/-/g, "_");
  return { env: `LATTICE_${upper}_ENDPOINT`, flag: `--${plugin.backend}-endpoint` };
}

/** A project directory holding `plugins`; `dispose` removes it. */
export function makePluginProject(plugins: readonly FixturePlugin[]): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), "lattice-plugin-project-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "plugin-user", private: true }));
  for (const name of ["core", "plugin"]) {
    mkdirSync(join(dir, "node_modules", "@lattice-cache"), { recursive: true });
    symlinkSync(join(REPO_ROOT, "packages", name), join(dir, "node_modules", "@lattice-cache", name));
  }
  for (const plugin of plugins)
    writePlugin(join(dir, plugin.at ?? join("node_modules", plugin.packageName)), plugin);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function writePlugin(packageDir: string, plugin: FixturePlugin): void {
  mkdirSync(join(packageDir, "dist"), { recursive: true });
  const exports = plugin.withoutDoor
    ? { ".": "./dist/host.js" }
    : { ".": "./dist/host.js", "./host": { types: "./dist/host.d.ts", import: "./dist/host.js" } };
  writeFileSync(
    join(packageDir, "package.json"),
    JSON.stringify({ name: plugin.packageName, version: "1.0.0", type: "module", exports }),
  );
  const { env, flag } = endpointBinding(plugin);
  const definition = `{
  ...defineBackendPlugin({
    name: ${JSON.stringify(plugin.backend)},
    description: "a fixture plugin on core's memory backend",
    config: section,
    create: () => new MemoryBackend(new MemoryStore()),
    target: (config) => "the fake store at " + config[${JSON.stringify(plugin.section)}].endpoint,
    diagnose: async (config) => [
      { name: "fake store endpoint", outcome: "pass", detail: config[${JSON.stringify(plugin.section)}].endpoint },
    ],
  }),
  ${plugin.apiVersion === undefined ? "" : `pluginApiVersion: ${plugin.apiVersion},`}
}`;
  writeFileSync(
    join(packageDir, "dist", "host.js"),
    `import { MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { configSection, defineBackendPlugin, setting, text } from "@lattice-cache/plugin";

const section = configSection(${JSON.stringify(plugin.section)}, {
  endpoint: setting(text().default("fake://default"), {
    description: "where the fake store is",
    env: ${JSON.stringify(env)},
    flag: ${JSON.stringify(`${flag} <url>`)},
  }),
});

${plugin.exportAs === "default" ? `export default ${definition};` : `export const plugin = ${definition};`}
`,
  );
}
