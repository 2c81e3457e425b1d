// `pnpm turbo gen backend`: a new backend package that builds, typechecks and runs the conformance suite
// from the first minute — every part still to be written throws a typed "not implemented" error saying what
// to write there — and is a plugin an installed `lattice` loads (`backend: <name>`, from the package's
// `./host` door: its config section with a `url` setting, a doctor check, a status channel). Nothing in the
// host changes. The root README's "Add a backend" section is the guide; the templates are in
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
  ["host-index.ts.hbs", "src/host/index.ts"],
  ["host-plugin.ts.hbs", "src/host/{{name}}-plugin.ts"],
  ["server-check.ts.hbs", "src/host/{{name}}-server-check.ts"],
];

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
    description: "A new lattice-cache backend package and its lattice plugin (see README.md, Add a backend)",
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
        formatWithBiome([`packages/${names.name}`]),
        [
          `Created ${names.packageName} in packages/${names.name}: a backend package, and its plugin for lattice. Next:`,
          "  pnpm install   (links the new package; commit the updated pnpm-lock.yaml)",
          `  pnpm turbo run build --filter ${names.packageName}...`,
          `  pnpm --filter ${names.packageName} test   (the conformance suite: red, with "not implemented", until the backend is written)`,
          `  pnpm lattice --plugins ./packages/${names.name} --backend ${names.name} config print   (lattice loads the plugin: its ${names.camel}.* settings)`,
          `Then follow packages/${names.name}/README.md, "Implementing the backend".`,
        ].join("\n"),
      ];
    },
  });
}
