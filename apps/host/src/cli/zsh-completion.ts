// `lattice completion zsh`: a zsh completion script rendered from the program's completion tree.
import {
  caseArm,
  flagsAt,
  pathPattern,
  type ShellDialect,
  shellQuote,
  valueFunction,
  walkWords,
} from "./completion-script.js";
import type { CompletionTree } from "./completion-tree.js";

// The list variable is `subs`, not `commands`: zsh keeps the commands on $PATH in that special array.
const ZSH: ShellDialect = {
  list: (words) => `(${words.map(shellQuote).join(" ")})`,
  words: { array: "words", first: 2, current: "CURRENT" },
  inSubs: `(( \${subs[(Ie)$word]} ))`,
};

/** `name:description` for `_describe` (a colon in the name escaped, the description on one line). */
function described(name: string, description: string): string {
  return `${name.replaceAll(":", "\\:")}:${description.replace(/\s+/g, " ").trim()}`;
}

/**
 * The zsh script for `tree`: `source <(lattice completion zsh)` after `compinit`, or saved as `_lattice` in a
 * directory of `$fpath`. It walks the words typed so far as the bash script does and offers, with their
 * descriptions, the subcommands and flags there, a flag's choices after it, and files where nothing is known.
 */
export function zshCompletionScript(tree: CompletionTree): string {
  const fn = `_${tree.program.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const entries = tree.nodes.map((node) =>
    caseArm(
      pathPattern(node),
      `entries=${ZSH.list([
        ...node.subcommands.map((c) => described(c.name, c.description)),
        ...node.argumentChoices,
        ...flagsAt(node, tree).map((f) => described(f.name, f.description)),
      ])}`,
    ),
  );
  return `#compdef ${tree.program}
# zsh completion for ${tree.program} — generated from its commands by \`${tree.program} completion zsh\`.
# Load it with: source <(${tree.program} completion zsh)   (after compinit)

${valueFunction(tree, fn, ZSH)}

${fn}() {
  local path_="" word expecting="" i
  local -a subs entries values
${walkWords(tree, fn, ZSH)}
  if [[ -n $expecting ]]; then
    ${fn}_value "$path_" "$expecting"
    if (( \${#values} )); then compadd -a values; else _files; fi
    return
  fi
  entries=()
  case "$path_" in
${entries.join("\n")}
  esac
  _describe -t commands '${tree.program}' entries || _files
}

if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${tree.program}
fi
`;
}
