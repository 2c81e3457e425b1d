// `pnpm turbo gen backend`: a new backend package that builds, typechecks and runs the conformance suite
// from the first minute — every part still to be written throws a typed "not implemented" error saying what
// to write there — plus its registration in the host (a config section with a `url` setting, and the one
// `registerBackend` line). The root README's "Add a backend" section is the guide; the templates are in
// templates/backend/ (Handlebars: {{name}}, {{pascal}}, {{camel}}, {{constant}}, {{packageName}}, and the
// server's {{scheme}} and {{serverCommand}}, empty when not given).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { PlopTypes } from "@turbo/gen";
import { backendNames, checkBackendName } from "./backend-name.js";
import {
  checkServerCommand,
  checkUrlScheme,
  DEFAULT_URL_SCHEME,
  serverCommand,
  urlScheme,
} from "./backend-server.js";

const TEMPLATES = "templates/backend";

/** The files of the new package: template → path under packages/<name>/. */
const PACKAGE_FILES: ReadonlyArray<readonly [template: string, path: string]> = [
  ["package.json.hbs", "package.json"],
  ["tsconfig.json.hbs", "tsconfig.json"],
  ["tsconfig.typecheck.json.hbs", "tsconfig.typecheck.json"],
  ["vitest.config.ts.hbs", "vitest.config.ts"],
  ["README.md.hbs", "README.md"],
  ["index.ts.hbs", "src/index.ts"],
  ["backend.ts.hbs", "src/{{name}}-backend.ts"],
  ["backend-options.ts.hbs", "src/{{name}}-backend-options.ts"],
  ["log-transport.ts.hbs", "src/{{name}}-log-transport.ts"],
  ["not-implemented.ts.hbs", "src/not-implemented.ts"],
  ["conformance.test.ts.hbs", "src/conformance.test.ts"],
];

const BUILTIN_BACKENDS = "apps/host/src/composition/builtin-backends.ts";
const HOST_MANIFEST = "apps/host/package.json";

/** Adds `line` to the file's `import … from "./…"` lines, where a sorted list of them puts it. */
function insertImport(source: string, line: string): string {
  if (source.includes(line)) return source;
  const lines = source.split("\n");
  const imports = lines.flatMap((text, index) => (/^import .* from "\.\//.test(text) ? [index] : []));
  if (imports.length === 0) throw new Error(`${BUILTIN_BACKENDS} has no relative imports to join`);
  const from = (text: string) => /from "([^"]+)"/.exec(text)?.[1] ?? "";
  const after = imports.filter((index) => from(lines[index] ?? "") < from(line));
  const at = after.length > 0 ? (after.at(-1) as number) + 1 : (imports[0] as number);
  lines.splice(at, 0, line);
  return lines.join("\n");
}

/** Adds `dependency` (`workspace:^`) to the host's dependencies, keeping them sorted. */
function addHostDependency(manifest: string, dependency: string): string {
  const pkg = JSON.parse(manifest) as { dependencies?: Record<string, string> };
  const dependencies = { ...pkg.dependencies, [dependency]: "workspace:^" };
  pkg.dependencies = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/**
 * A `modify` action rewriting the whole file with `transform`. Plop runs a modify that has only a transform;
 * its `ModifyActionConfig` type asks for a pattern and a template as well, so this one is a plain action.
 */
function rewrite(path: string, transform: (text: string) => string): PlopTypes.ActionType {
  const action: PlopTypes.ActionConfig & { path: string; transform: (text: string) => string } = {
    type: "modify",
    path,
    transform,
  };
  return action;
}

/**
 * A function action running `biome check --write` (format, import order, safe fixes) on the new files, so
 * they pass `pnpm lint`, `pnpm format` and `biome check` whatever the name's length.
 */
function formatWithBiome(paths: readonly string[]): PlopTypes.CustomActionFunction {
  return (_answers, _config, plop) => {
    const root = plop.getDestBasePath();
    const biome = join(root, "node_modules", ".bin", "biome");
    if (!existsSync(biome)) {
      throw new Error(`${biome} is missing: run pnpm install at the repository's root before the generator`);
    }
    const result = spawnSync(biome, ["check", "--write", "--no-errors-on-unmatched", ...paths], {
      cwd: root,
      encoding: "utf8",
    });
    if (result.status !== 0) {
      throw new Error(`biome check --write ${paths.join(" ")} failed:\n${result.stdout}${result.stderr}`);
    }
    return `${paths.join(", ")} (biome check --write)`;
  };
}

export default function generator(plop: PlopTypes.NodePlopAPI): void {
  plop.setGenerator("backend", {
    description: "A new lattice-cache backend package, registered in the host (see README.md, Add a backend)",
    prompts: [
      {
        type: "input",
        name: "name",
        message: "Name of the new backend (lowercase words joined by hyphens, e.g. etcd)",
        validate: (name: unknown) => checkBackendName(name, plop.getDestBasePath()),
      },
      {
        type: "input",
        name: "scheme",
        message:
          "URL scheme of the server's address, as its clients write it (etcd's is http; tooling/test-harness/README.md#other-servers)",
        default: DEFAULT_URL_SCHEME,
        validate: checkUrlScheme,
        filter: urlScheme,
      },
      {
        type: "input",
        name: "serverCommand",
        message:
          "Executable the conformance test starts the server with, on PATH or a path (etcd's is etcd); empty to write it later",
        default: "",
        validate: checkServerCommand,
        filter: serverCommand,
      },
    ],
    actions: (answers) => {
      const names = backendNames(String(answers?.name));
      const data = {
        ...names,
        scheme: urlScheme(answers?.scheme),
        serverCommand: serverCommand(answers?.serverCommand),
      };
      const packageFiles: PlopTypes.ActionType[] = PACKAGE_FILES.map(([template, path]) => ({
        type: "add",
        path: `packages/{{name}}/${path}`,
        templateFile: `${TEMPLATES}/${template}`,
        data,
      }));
      return [
        ...packageFiles,
        {
          type: "add",
          path: "apps/host/src/composition/{{name}}-backend-registration.ts",
          templateFile: `${TEMPLATES}/host-registration.ts.hbs`,
          data,
        },
        rewrite(BUILTIN_BACKENDS, (source) =>
          insertImport(
            source,
            `import { ${names.camel}BackendRegistration } from "./${names.name}-backend-registration.js";`,
          ),
        ),
        {
          // The one registerBackend call, appended to the chain (the first registration stays the default).
          type: "append",
          path: BUILTIN_BACKENDS,
          pattern: /\.registerBackend\(\w+\)(?=;)/,
          separator: "\n    ",
          template: ".registerBackend({{camel}}BackendRegistration)",
          unique: false,
          data,
        },
        rewrite(HOST_MANIFEST, (manifest) => addHostDependency(manifest, names.packageName)),
        formatWithBiome([
          `packages/${names.name}`,
          `apps/host/src/composition/${names.name}-backend-registration.ts`,
        ]),
        [
          `Created ${names.packageName} in packages/${names.name} and registered it in the host. Next:`,
          "  pnpm install   (links the new package; commit the updated pnpm-lock.yaml)",
          `  pnpm turbo run build --filter ${names.packageName}...`,
          `  pnpm --filter ${names.packageName} test   (the conformance suite: red, with "not implemented", until the backend is written)`,
          "  LATTICE_UPDATE_README=1 pnpm --filter @lattice-cache/host exec vitest run readme-config   (the host's settings table)",
          `  and add "${names.name}" to the built-in backends apps/host/src/composition/host-container.test.ts lists`,
          `Then follow packages/${names.name}/README.md, "Implementing the backend".`,
        ].join("\n"),
      ];
    },
  });
}
