// Where dependency-cruiser resolves `@lattice-cache/*` imports: each workspace package's own source behind
// every door its package.json `exports` opens (`.` → src/index.ts, `./testing` → src/testing.ts), read
// afresh on every run, so a new package or a new door needs no edit here. Written as the tsconfig `paths`
// dependency-cruiser reads (a generated file under node_modules/.cache): without it a workspace import
// would resolve through node_modules to the package's dist/ — or to nothing on a fresh clone — and the
// layering rules in .dependency-cruiser.cjs would not see which package it is.
const { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } = require("node:fs");
const { join, relative } = require("node:path");

/** The folders pnpm-workspace.yaml makes packages of. */
const WORKSPACE_GROUPS = ["packages", "apps", "tooling"];

/** The file a package's export target is built from: `./dist/testing.js` → `src/testing.ts`. */
function sourceOf(target) {
  return target
    .replace(/^\.\//, "")
    .replace(/^dist\//, "src/")
    .replace(/\.d\.ts$|\.js$/, ".ts");
}

/** The target an export condition object names for an ESM import. */
function targetOf(entry) {
  if (typeof entry === "string") return entry;
  if (entry === null || typeof entry !== "object") return undefined;
  return targetOf(entry.import ?? entry.default ?? entry.types ?? entry.node);
}

/** `@lattice-cache/core/testing` → `["packages/core/src/testing.ts"]`, for every door of every package in `root`. */
function workspacePaths(root) {
  const paths = {};
  for (const group of WORKSPACE_GROUPS) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir).sort()) {
      const manifest = join(groupDir, name, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, "utf8"));
      if (typeof pkg.name !== "string") continue;
      const dir = relative(root, join(groupDir, name));
      const doors =
        pkg.exports === undefined
          ? { ".": "./src/index.ts" }
          : typeof pkg.exports === "string" || !Object.keys(pkg.exports).some((k) => k.startsWith("."))
            ? { ".": pkg.exports }
            : pkg.exports;
      for (const [subpath, entry] of Object.entries(doors)) {
        const target = targetOf(entry);
        if (target === undefined || subpath.includes("*")) continue;
        const source = join(dir, sourceOf(target));
        if (!existsSync(join(root, source))) continue;
        paths[subpath === "." ? pkg.name : `${pkg.name}${subpath.slice(1)}`] = [source];
      }
    }
  }
  return paths;
}

/** Writes the tsconfig for the workspace at `root` and returns its path. */
function workspaceTsConfig(root) {
  const dir = join(root, "node_modules", ".cache", "lattice-layering");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "tsconfig.json");
  const tsconfig = {
    compilerOptions: { baseUrl: root, paths: workspacePaths(root) },
    // dependency-cruiser reads the paths only; TypeScript refuses a config that names no input at all.
    files: [join(root, "package.json")],
  };
  writeFileSync(file, `${JSON.stringify(tsconfig, null, 2)}\n`);
  return file;
}

module.exports = { workspacePaths, workspaceTsConfig };
