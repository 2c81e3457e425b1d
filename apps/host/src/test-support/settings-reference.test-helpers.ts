// The README's configuration reference, rendered from the configuration schema: the settings table and the
// list of global flags. readme-config.test.ts keeps apps/host/README.md equal to it.
import { flagBindings, OTHER_GLOBAL_FLAGS } from "../config/config-flags.js";
import type { HostConfigSchema } from "../config/host-config-schema.js";
import { type CatalogSetting, settingsCatalog } from "../config/settings-catalog.js";

/** Markdown code, with `|` escaped for a table cell. */
function code(text: string): string {
  return `\`${text}\``.replace(/\|/g, "\\|");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function fileKey({ path, facts, choices, range }: CatalogSetting): string {
  const values = choices
    ? ` (${choices.map((c) => `\`${c}\``).join("\\|")})`
    : range
      ? ` (${range[0]}–${range[1]})`
      : "";
  return `${code(path)}${values}${facts.secret === true ? " (secret)" : ""}`;
}

function environment({ facts }: CatalogSetting): string {
  if (facts.env === undefined) return "";
  return [facts.env, ...(facts.envFallbacks ?? [])].map(code).join(", else ");
}

function flag({ facts }: CatalogSetting): string {
  const option = facts.flag?.split(" ")[0] ?? facts.commandFlag;
  return option === undefined ? "" : code(option);
}

function defaultText({ facts, defaultValue }: CatalogSetting): string {
  if (facts.defaultText !== undefined) return cell(facts.defaultText);
  return defaultValue === undefined ? "none" : code([defaultValue].flat().join(","));
}

/** The settings table: one row per setting, in schema order. */
export function settingsTable(schema: HostConfigSchema): string {
  const rows = settingsCatalog(schema).settings.map(
    (s) =>
      `| ${fileKey(s)} | ${environment(s)} | ${flag(s)} | ${defaultText(s)} | ${cell(s.facts.description)} |`,
  );
  return ["| file key | environment | flag | default | meaning |", "|---|---|---|---|---|", ...rows].join(
    "\n",
  );
}

/** The global flags, as one paragraph. */
export function globalFlagsLine(schema: HostConfigSchema): string {
  const flags = [
    ...flagBindings(schema).map((b) => `${b.option} <${b.choices ? b.choices.join("|") : b.valueName}>`),
    ...OTHER_GLOBAL_FLAGS.map((f) => ("valueName" in f ? `${f.option} <${f.valueName}>` : f.option)),
  ];
  return `Global flags (accepted before or after the command): ${flags.map((f) => `\`${f}\``).join(", ")}.`;
}

/** Every environment variable `schema` reads (fallbacks included). */
export function environmentVariables(schema: HostConfigSchema): string[] {
  return settingsCatalog(schema).settings.flatMap(({ facts }) =>
    facts.env === undefined ? [] : [facts.env, ...(facts.envFallbacks ?? [])],
  );
}

/** Every flag that sets a setting: global ones and commands' own (`--policy`). */
export function settingFlags(schema: HostConfigSchema): string[] {
  return settingsCatalog(schema).settings.flatMap(({ facts }) => {
    const option = facts.flag?.split(" ")[0] ?? facts.commandFlag?.split(" ").at(-1);
    return option === undefined ? [] : [option];
  });
}
