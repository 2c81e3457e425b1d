// `lattice claims put|get|del|ls`: JWT claims keyed by `sub`.
import { readFileSync } from "node:fs";
import { type Claims, claimsCodec } from "@lattice-cache/core";
import type { Command } from "commander";
import { checkedKey, checkedValue } from "../cli/checked-input.js";
import type { CliContext } from "../cli/cli-context.js";
import { EntryNotFoundError, UsageError } from "../cli/cli-errors.js";
import { printEntry, printList, printWrite } from "../cli/entry-output.js";
import { READ_ONLY, withReadyCache } from "../cli/one-shot.js";

/** Adds `claims` and its subcommands to `program`. */
export function registerClaimsCommand(program: Command, ctx: CliContext): void {
  const claims = program
    .command("claims")
    .description("JWT claims of actors and providers: put, get, del, ls");

  claims
    .command("put")
    .description("create or replace claims from a JSON file (`-` reads stdin)")
    .requiredOption(
      "--file <path>",
      "JSON object in the wire shape (caps/tags as a comma string or an array)",
    )
    .action(async (opts: { file: string }, command: Command) => {
      const input = readClaimsFile(ctx, opts.file);
      const value = checkedValue(claimsCodec, input, ctx.config(command).maxValueBytes);
      await withReadyCache(ctx, command, async (cache) => {
        const outcome = await cache.claims.put(value);
        printWrite(ctx, ctx.json(command), "put", outcome, cache.claims.entryByKey(outcome.key)?.value);
      });
    });

  claims
    .command("get")
    .description("show the claims of one module")
    .argument("<sub>", "the module's public key")
    .action(async (sub: string, _opts: unknown, command: Command) => {
      const key = checkedKey(claimsCodec, sub);
      await withReadyCache(
        ctx,
        command,
        (cache) => {
          const entry = cache.claims.entryByKey(key);
          if (!entry) throw new EntryNotFoundError("claims", `sub=${sub}`);
          printEntry(ctx, ctx.json(command), entry, claimsFields);
        },
        READ_ONLY,
      );
    });

  claims
    .command("del")
    .description("delete the claims of one module")
    .argument("<sub>", "the module's public key")
    .action(async (sub: string, _opts: unknown, command: Command) => {
      const key = checkedKey(claimsCodec, sub);
      await withReadyCache(ctx, command, async (cache) => {
        if (!cache.claims.entryByKey(key)) throw new EntryNotFoundError("claims", `sub=${sub}`);
        printWrite(ctx, ctx.json(command), "deleted", await cache.claims.delete(sub));
      });
    });

  claims
    .command("ls")
    .description("list claims")
    .action(async (_opts: unknown, command: Command) => {
      await withReadyCache(
        ctx,
        command,
        (cache) => {
          printList(ctx, ctx.json(command), cache.claims.list(), {
            headers: ["SUB", "NAME", "CALL ALIAS", "CAPS", "VERSION", "REV"],
            row: (c) => [c.sub, c.name, c.call_alias, c.caps, c.version, c.rev],
            empty: "no claims",
            sortKey: (c) => c.sub,
          });
        },
        READ_ONLY,
      );
    });
}

function readClaimsFile(ctx: CliContext, path: string): unknown {
  let text: string;
  try {
    text = path === "-" ? ctx.io.stdin() : readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read claims file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`claims file ${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`claims file ${path} must hold one JSON object with at least "sub"`);
  }
  return parsed;
}

function claimsFields(c: Claims): [string, string][] {
  return [
    ["sub", c.sub],
    ["name", c.name],
    ["iss", c.iss],
    ["call_alias", c.call_alias],
    ["caps", c.caps],
    ["tags", c.tags],
    ["version", c.version],
    ["rev", c.rev],
  ];
}
