// `lattice completion bash`: a bash completion script rendered from the program's completion tree.
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

const BASH: ShellDialect = {
  list: (words) => shellQuote(words.join(" ")),
  words: { array: "COMP_WORDS", first: 1, current: "COMP_CWORD" },
  inSubs: '[[ " $subs " == *" $word "* ]]',
};

/**
 * The bash script for `tree`: `source <(lattice completion bash)` (or a file bash-completion loads). It walks
 * the words typed so far ({@link walkWords}) and offers the subcommands and flags there, a flag's choices
 * after it, and file names where nothing is known (`complete -o default`).
 */
export function bashCompletionScript(tree: CompletionTree): string {
  const fn = `_${tree.program.replace(/[^A-Za-z0-9_]/g, "_")}_completion`;
  const words = tree.nodes.map((node) =>
    caseArm(
      pathPattern(node),
      `words=${BASH.list([
        ...node.subcommands.map((c) => c.name),
        ...node.argumentChoices,
        ...flagsAt(node, tree).map((f) => f.name),
      ])}`,
    ),
  );
  return `# bash completion for ${tree.program} — generated from its commands by \`${tree.program} completion bash\`.
# Load it with: source <(${tree.program} completion bash)

${valueFunction(tree, fn, BASH)}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path_="" word subs words values i expecting=""
${walkWords(tree, fn, BASH)}
  if [[ -n $expecting ]]; then
    ${fn}_value "$path_" "$expecting"
    # A free value (a file, a URL…): leave it to bash's default completion.
    [[ -n $values ]] && mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
    return 0
  fi
  words=""
  case "$path_" in
${words.join("\n")}
  esac
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  return 0
}

complete -o default -F ${fn} ${tree.program}
`;
}
