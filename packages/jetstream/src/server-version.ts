// nats-server versions, for gating features on the server a backend talks to (nats-notes.md: design for 2.9).

/**
 * Orders two nats-server versions (`major.minor.patch`, suffixes such as `-beta.1` ignored, missing parts
 * read as 0): negative when `a` is older, 0 when equal, positive when newer.
 */
export function compareServerVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
