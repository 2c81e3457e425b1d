// The layering of the workspace, checked by dependency-cruiser (`pnpm lint` runs it as the root task
// `//#lint:deps`; tooling/layering/layering.test.mjs proves every rule fires on a fixture). The layers:
//
//   packages/core                 the contract, the replica, the conflict rules: imports no other workspace package
//   packages/conformance          the shared suite: core only (a backend reaches it through its injected target)
//   packages/plugin               the host-plugin contract (settings builder, doctor checks, status channel): core only
//   packages/<backend>            jetstream, redis, legacy and any later one: core and plugin (and, in tests, the suite and
//                                 the harness) — never another backend; the legacy bridge talks to the durable
//                                 side through core's LatticeCache, whatever backend is under it
//   apps/host                     composes everything
//   tooling/*                     bench, chaos tests, the test harness: may use anything (dev tools, never shipped)
//
// Type-only imports count (`tsPreCompilationDeps`): a cycle through `import type` is still a cycle between
// two modules that cannot be understood, moved or tested one without the other.

const { workspaceTsConfig } = require("./tooling/layering/workspace-paths.cjs");

/** Files that are tests or exist only for tests. */
const TEST_FILE = "(\\.test(-helpers)?\\.[cm]?[jt]sx?$)|((^|/)(test|tests|test-support|__tests__)/)";
/** What production code must not import: test files, test-support folders, the test harness. */
const TEST_HELPER = `${TEST_FILE}|(^tooling/test-harness/)|(^@lattice-cache/test-harness(/|$))`;
/** Packages that are not backends: the base layer, the suite and the plugin contract. Every other `packages/<name>` is a backend. */
const NOT_A_BACKEND = "(?:core|conformance|plugin)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "An import cycle, type-only imports included. Break it by moving what both sides share into a module of its own.",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-imports-no-other-layer",
      severity: "error",
      comment:
        "packages/core is the base layer: it imports no backend, no suite, no host — they import it. A backend's " +
        "capability belongs behind LatticeBackend (packages/core/src/backend.ts).",
      from: { path: "^packages/core/" },
      to: { path: "^(packages/(?!core/)[^/]+|apps/[^/]+)/" },
    },
    {
      name: "conformance-imports-no-backend",
      severity: "error",
      comment:
        "The conformance suite tests every backend through the target it is handed; importing one would tie the " +
        "published suite to it.",
      from: { path: "^packages/conformance/" },
      to: { path: `^packages/(?!${NOT_A_BACKEND}/)[^/]+/` },
    },
    {
      name: "plugin-contract-imports-no-backend",
      severity: "error",
      comment:
        "packages/plugin is the contract every backend's plugin is written against: it imports core only, never a " +
        "backend, the suite or the host (backends and the host import it).",
      from: { path: "^packages/plugin/" },
      to: { path: "^(packages/(?!core/|plugin/)[^/]+|apps/[^/]+)/" },
    },
    {
      name: "backend-imports-no-backend",
      severity: "error",
      comment:
        "A backend package's production code (every packages/<name> but core and conformance) imports no other " +
        "backend: the legacy bridge reaches the durable side through core's LatticeCache. Its tests may compose " +
        "backends (legacy's migration tests run against a real JetStream, the migration's real target).",
      from: { path: `^packages/(?!${NOT_A_BACKEND}/)([^/]+)/`, pathNot: TEST_FILE },
      to: { path: `^packages/(?!${NOT_A_BACKEND}/|$1/)[^/]+/` },
    },
    {
      name: "host-names-backends-only-in-builtin-list",
      severity: "error",
      comment:
        "The host reaches backends as plugins (@lattice-cache/plugin): its production code names a backend package " +
        "only in the list of built-in plugins, apps/host/src/composition/builtin-backends.ts. Anything else " +
        "backend-specific belongs in the backend's own `./host` door. Tests may compose backends.",
      from: { path: "^apps/host/src/", pathNot: `${TEST_FILE}|^apps/host/src/composition/builtin-backends\\.ts$` },
      to: { path: `^packages/(?!${NOT_A_BACKEND}/)[^/]+/` },
    },
    {
      name: "packages-import-no-app",
      severity: "error",
      comment: "Libraries do not import the host (apps/*); the host imports them.",
      from: { path: "^packages/(?!core/)" },
      to: { path: "^apps/" },
    },
    {
      name: "production-imports-no-test-helpers",
      severity: "error",
      comment:
        "Production code of packages/* and apps/* (everything in src/ that is not a test) imports no test file, " +
        "*.test-helpers.ts, test-support folder or @lattice-cache/test-harness. tooling/* is exempt: the bench " +
        "starts its servers through the harness by design.",
      from: { path: "^(packages|apps)/[^/]+/src/", pathNot: TEST_FILE },
      to: { path: TEST_HELPER },
    },
    {
      name: "production-imports-no-testing-door",
      severity: "error",
      comment:
        "A package's `./testing` subpath (`@lattice-cache/<name>/testing`) is for other packages' tests, never " +
        "for their production code.",
      from: { path: "^((?:packages|apps)/[^/]+)/src/", pathNot: TEST_FILE },
      to: {
        path: "(^(packages|apps|tooling)/[^/]+/src/testing(\\.[cm]?[jt]s$|/))|(^@lattice-cache/[^/]+/testing(/|$))",
        pathNot: "^$1/",
      },
    },
    {
      name: "workspace-import-resolves",
      severity: "error",
      comment:
        "An @lattice-cache/* import must resolve to a workspace package's source, through a door its package.json " +
        "`exports` opens (tooling/layering/workspace-paths.cjs); an unresolved one would slip past every rule above.",
      from: {},
      to: { path: "^@lattice-cache/", couldNotResolve: true },
    },
    {
      name: "no-import-of-built-output",
      severity: "error",
      comment:
        "Import a workspace package by its name (its src/index.ts door), never from a dist/ folder: built output " +
        "hides the real dependency from these rules and goes stale.",
      from: {},
      to: { path: "(^|/)dist/", pathNot: "(^|/)node_modules/" },
    },
  ],
  options: {
    // dist/ and node_modules are never cruised; they stay reachable only so an import of them can be named.
    doNotFollow: { path: ["(^|/)node_modules/", "(^|/)dist/"] },
    exclude: { path: ["(^|/)\\.turbo/", "(^|/)\\.test-results/", "(^|/)coverage/"] },
    tsPreCompilationDeps: true,
    // Workspace imports resolve to the packages' sources, door by door (see tooling/layering/workspace-paths.cjs),
    // for the tree in the working directory: the repository, or the proof's fixture.
    tsConfig: { fileName: workspaceTsConfig(process.cwd()) },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "types", "node", "default"],
      mainFields: ["module", "main", "types"],
    },
    skipAnalysisNotInRules: true,
  },
};
