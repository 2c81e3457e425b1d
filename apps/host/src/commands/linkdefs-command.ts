// `lattice linkdefs put|get|del|ls`: link definitions keyed by (actor, contract, link name).
import {
  DEFAULT_LINK_NAME,
  type LinkDefinition,
  type LinkDefinitionRef,
  linkdefsCodec,
} from "@lattice-cache/core";
import { type Command, InvalidArgumentError } from "commander";
import { assertSubjectToken, checkedKey, checkedValue } from "../cli/checked-input.js";
import type { CliContext } from "../cli/cli-context.js";
import { EntryNotFoundError } from "../cli/cli-errors.js";
import { printEntry, printList, printWrite } from "../cli/entry-output.js";
import { READ_ONLY, withReadyCache } from "../cli/one-shot.js";
import { formatValues } from "../cli/text-table.js";

interface RefOptions {
  readonly actor: string;
  readonly contract: string;
  readonly linkName: string;
}

/** Adds `linkdefs` and its subcommands to `program`. */
export function registerLinkdefsCommand(program: Command, ctx: CliContext): void {
  const linkdefs = program.command("linkdefs").description("link definitions: put, get, del, ls");

  linkdefs
    .command("put")
    .description("create or replace a link definition")
    .requiredOption("--actor <id>", "actor public key (actor_id)")
    .requiredOption("--provider <id>", "provider public key (provider_id)")
    .requiredOption("--contract <id>", "contract id, e.g. wasmcloud:keyvalue")
    .option("--link-name <name>", "link name", DEFAULT_LINK_NAME)
    .option("--value <key=value>", "a configuration value for the provider (repeatable)", collectValue, {})
    .action(
      async (opts: RefOptions & { provider: string; value: Record<string, string> }, command: Command) => {
        const ref = toRef(opts);
        assertSubjectToken(opts.provider, "provider id");
        const value = checkedValue(
          linkdefsCodec,
          { ...ref, provider_id: opts.provider, values: opts.value },
          ctx.config(command).maxValueBytes,
        );
        await withReadyCache(ctx, command, async (cache) => {
          const outcome = await cache.linkdefs.put(value);
          printWrite(ctx, ctx.json(command), "put", outcome, cache.linkdefs.entryByKey(outcome.key)?.value);
        });
      },
    );

  withRefOptions(linkdefs.command("get").description("show one link definition")).action(
    async (opts: RefOptions, command: Command) => {
      const key = checkedKey(linkdefsCodec, toRef(opts));
      await withReadyCache(
        ctx,
        command,
        (cache) => {
          const entry = cache.linkdefs.entryByKey(key);
          if (!entry) throw notFound(opts);
          printEntry(ctx, ctx.json(command), entry, linkdefFields);
        },
        READ_ONLY,
      );
    },
  );

  withRefOptions(linkdefs.command("del").description("delete one link definition")).action(
    async (opts: RefOptions, command: Command) => {
      const ref = toRef(opts);
      checkedKey(linkdefsCodec, ref);
      await withReadyCache(ctx, command, async (cache) => {
        if (!cache.linkdefs.getEntry(ref)) throw notFound(opts);
        printWrite(ctx, ctx.json(command), "deleted", await cache.linkdefs.delete(ref));
      });
    },
  );

  linkdefs
    .command("ls")
    .description("list link definitions")
    .option("--actor <id>", "only this actor's")
    .option("--provider <id>", "only those targeting this provider")
    .action(async (opts: { actor?: string; provider?: string }, command: Command) => {
      await withReadyCache(
        ctx,
        command,
        (cache) => {
          let list = opts.actor !== undefined ? cache.linkdefs.byActor(opts.actor) : cache.linkdefs.list();
          if (opts.provider !== undefined) list = list.filter((l) => l.provider_id === opts.provider);
          printList(ctx, ctx.json(command), list, {
            headers: ["ACTOR", "PROVIDER", "CONTRACT", "LINK NAME", "VALUES"],
            row: (l) => [l.actor_id, l.provider_id, l.contract_id, l.link_name, formatValues(l.values)],
            empty: "no link definitions",
            sortKey: (l) => `${l.actor_id}\0${l.contract_id}\0${l.link_name}`,
          });
        },
        READ_ONLY,
      );
    });
}

function withRefOptions(command: Command): Command {
  return command
    .requiredOption("--actor <id>", "actor public key (actor_id)")
    .requiredOption("--contract <id>", "contract id")
    .option("--link-name <name>", "link name", DEFAULT_LINK_NAME);
}

/** The natural key from the options; each part travels in NATS subjects somewhere, so each is checked. */
function toRef(opts: RefOptions): LinkDefinitionRef {
  assertSubjectToken(opts.actor, "actor id");
  assertSubjectToken(opts.contract, "contract id");
  assertSubjectToken(opts.linkName, "link name");
  return { actor_id: opts.actor, contract_id: opts.contract, link_name: opts.linkName };
}

function notFound(opts: RefOptions): EntryNotFoundError {
  return new EntryNotFoundError(
    "linkdefs",
    `actor=${opts.actor} contract=${opts.contract} link-name=${opts.linkName}`,
  );
}

function linkdefFields(l: LinkDefinition): [string, string][] {
  return [
    ["id", l.id],
    ["actor_id", l.actor_id],
    ["provider_id", l.provider_id],
    ["contract_id", l.contract_id],
    ["link_name", l.link_name],
    ["values", formatValues(l.values)],
  ];
}

/** Commander collector for repeated `--value k=v`. */
function collectValue(item: string, previous: Record<string, string>): Record<string, string> {
  const eq = item.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("expected key=value");
  return { ...previous, [item.slice(0, eq)]: item.slice(eq + 1) };
}
