// What the bash and zsh completion scripts share: quoting, the flags offered at a command, the function that
// knows which flags take a value (and their choices), and the loop that walks the words typed so far.
import type { CompletionFlag, CompletionNode, CompletionTree } from "./completion-tree.js";

/** `text` as one single-quoted shell word. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The flags offered at `node`: its own, then the program's global ones it does not shadow. */
export function flagsAt(node: CompletionNode, tree: CompletionTree): CompletionFlag[] {
  const own = new Set(node.flags.map((f) => f.name));
  return [...node.flags, ...tree.globals.filter((f) => !own.has(f.name))];
}

/** A `case` arm: `'linkdefs put') body ;;`. */
export function caseArm(pattern: string, body: string): string {
  return `    ${pattern}) ${body} ;;`;
}

/** `node`'s path as a quoted `case` pattern (`''` for the program). */
export function pathPattern(node: CompletionNode): string {
  return shellQuote(node.path.join(" "));
}

/** How a shell spells what the scripts need. */
export interface ShellDialect {
  /** `words` as the value of a list variable: bash `'a b'`, zsh `('a' 'b')`. */
  list(words: readonly string[]): string;
  /** The words typed so far: an array, its first index after the program, and the index being completed. */
  readonly words: { readonly array: string; readonly first: number; readonly current: string };
  /** A test that `$word` is in the list variable `subs`. */
  readonly inSubs: string;
}

/**
 * `<fn>_value PATH FLAG`: sets `values` to the choices of FLAG at command path PATH (empty for a free value)
 * and succeeds; fails for a flag that takes no value. A command's own flags come before the global ones.
 */
export function valueFunction(tree: CompletionTree, fn: string, dialect: ShellDialect): string {
  const valueArm = (pattern: string, flag: CompletionFlag) =>
    caseArm(pattern, `values=${dialect.list(flag.choices)}; return 0`);
  const arms = [
    ...tree.nodes.flatMap((node) =>
      node.flags
        .filter((f) => f.takesValue)
        .map((f) => valueArm(shellQuote(`${node.path.join(" ")}|${f.name}`), f)),
    ),
    ...tree.globals.filter((f) => f.takesValue).map((f) => valueArm(`*${shellQuote(`|${f.name}`)}`, f)),
  ];
  return `# Sets \`values\` to the choices of flag $2 at command path $1 (empty for a free value); fails for a flag without one.
${fn}_value() {
  case "$1|$2" in
${arms.join("\n")}
  esac
  return 1
}`;
}

/**
 * The loop over the words before the cursor, the way commander parses them: a flag taking a value consumes
 * the next word, a known subcommand descends. It leaves the command path in `path_`, and in `expecting` the
 * flag whose value is being completed, if one is.
 */
export function walkWords(tree: CompletionTree, fn: string, dialect: ShellDialect): string {
  const subs = tree.nodes
    .filter((node) => node.subcommands.length > 0)
    .map(
      (node) =>
        `  ${caseArm(pathPattern(node), `subs=${dialect.list(node.subcommands.map((c) => c.name))}`)}`,
    );
  const { array, first, current } = dialect.words;
  return `  for ((i = ${first}; i < ${current}; i++)); do
    word="\${${array}[i]}"
    if [[ -n $expecting ]]; then
      expecting=""
      continue
    fi
    case "$word" in
      --*=*) ;;
      -*) ${fn}_value "$path_" "$word" && expecting="$word" ;;
      *)
        subs=${dialect.list([])}
        case "$path_" in
${subs.join("\n")}
        esac
        if ${dialect.inSubs}; then path_="\${path_:+$path_ }$word"; fi
        ;;
    esac
  done`;
}
