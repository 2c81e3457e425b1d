// The NATS subject permissions of the three roles — read-only host, writing host, admin who provisions the
// bucket — in one place, rendered both as nats-server `authorization` users and as JWT user permissions.
// The tests use exactly these; docs/reliability.md shows them for LATTICEDATA_default.

/** Subjects a role may publish to and subscribe on. */
export interface SubjectPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/** The permission part of a user JWT (`nats.pub` / `nats.sub`). */
export interface JwtPermissions {
  readonly pub: { allow: string[] };
  readonly sub: { allow: string[] };
}

/**
 * A read-only host: the list of nats-notes.md ("Security") plus `$JS.API.STREAM.INFO.KV_<bucket>`, which
 * the jetstream backend needs. What each subject is for (checked against nats-server 2.9.10 + nats.js 3.4):
 * - `$JS.API.STREAM.INFO.KV_<bucket>`: open() binds with it, every feed start reads its barrier from it,
 *   and head() (stall detection) is one such request. Without it open() fails with PERMISSION_DENIED.
 * - `$JS.API.CONSUMER.CREATE.KV_<bucket>.>`: the feed's push consumer. nats.js 3.4 names the consumer, so
 *   the request goes to `…CREATE.KV_<bucket>.<name>.<filter>`; the suffix-less `…CREATE.KV_<bucket>` of
 *   unnamed consumers is not needed.
 * - `$JS.FC.KV_<bucket>.>`: flow-control replies. Without it a snapshot larger than about 1.5 MB stalls.
 * - `$JS.API.CONSUMER.DELETE.KV_<bucket>.>`: removes the feed's consumer when it restarts or closes;
 *   without it each abandoned consumer lingers until its inactivity threshold (30 s).
 * - `$JS.API.CONSUMER.INFO.KV_<bucket>.>`: not used by the jetstream backend; kept from nats-notes.md
 *   for plain nats.js consumers (`consumer.info()`).
 * - `$JS.API.DIRECT.GET.KV_<bucket>.>`: a key's last revision — writers read it after a refused
 *   conditional write; a pure reader does not use it.
 * - subscribe `_INBOX.>`: request replies and the feed's deliver subject.
 * - subscribe `$JS.EVENT.ADVISORY.STREAM.*.KV_<bucket>`: the stream's advisories (a new leader, lost quorum,
 *   the stream deleted or created) reach the replicas at once. Without it a host works, but notices those
 *   only on its slow fallback head check (~30 s), and `lattice doctor` warns.
 */
export function readerPermissions(bucket: string): SubjectPermissions {
  const stream = `KV_${bucket}`;
  return {
    publish: [
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.INFO.${stream}.>`,
      `$JS.API.CONSUMER.DELETE.${stream}.>`,
      `$JS.API.DIRECT.GET.${stream}.>`,
      `$JS.FC.${stream}.>`,
    ],
    subscribe: ["_INBOX.>", `$JS.EVENT.ADVISORY.STREAM.*.${stream}`],
  };
}

/** A writing host: a reader that may also publish into the bucket (`$KV.<bucket>.>`). */
export function writerPermissions(bucket: string): SubjectPermissions {
  const reader = readerPermissions(bucket);
  return { publish: [...reader.publish, `$KV.${bucket}.>`], subscribe: reader.subscribe };
}

/**
 * The admin who provisions the bucket: a writer that may also create it (`STREAM.CREATE`) and ask the
 * account's JetStream info (`$JS.API.INFO`, used by `nats` CLI and diagnostics).
 */
export function adminPermissions(bucket: string): SubjectPermissions {
  const writer = writerPermissions(bucket);
  return {
    publish: ["$JS.API.INFO", `$JS.API.STREAM.CREATE.KV_${bucket}`, ...writer.publish],
    subscribe: writer.subscribe,
  };
}

/** `permissions` removed of the given publish or subscribe subjects (to show each one is needed). */
export function without(permissions: SubjectPermissions, ...subjects: string[]): SubjectPermissions {
  return {
    publish: permissions.publish.filter((s) => !subjects.includes(s)),
    subscribe: permissions.subscribe.filter((s) => !subjects.includes(s)),
  };
}

function list(subjects: readonly string[], indent: string): string {
  return `[\n${subjects.map((s) => `${indent}  ${JSON.stringify(s)}`).join("\n")}\n${indent}]`;
}

/** One user entry of a nats-server `authorization { users = [...] }` block. */
export function configUser(
  credentials: { readonly user: string; readonly password: string } | { readonly nkey: string },
  permissions: SubjectPermissions,
  indent = "    ",
): string {
  const who =
    "nkey" in credentials
      ? `nkey: ${JSON.stringify(credentials.nkey)}`
      : `user: ${JSON.stringify(credentials.user)}, password: ${JSON.stringify(credentials.password)}`;
  return [
    `${indent}{`,
    `${indent}  ${who}`,
    `${indent}  permissions: {`,
    `${indent}    publish: { allow: ${list(permissions.publish, `${indent}    `)} }`,
    `${indent}    subscribe: { allow: ${list(permissions.subscribe, `${indent}    `)} }`,
    `${indent}  }`,
    `${indent}}`,
  ].join("\n");
}

/** A nats-server `authorization { users = [...] }` block. */
export function authorizationBlock(users: readonly string[]): string {
  return ["authorization {", "  users = [", ...users, "  ]", "}"].join("\n");
}

/** The same permissions as a user JWT carries them. */
export function jwtPermissions(permissions: SubjectPermissions): JwtPermissions {
  return { pub: { allow: [...permissions.publish] }, sub: { allow: [...permissions.subscribe] } };
}
