// Names and subjects of the wasmCloud generation-3 layout: bucket LATTICEDATA_{prefix}, stream KV_{bucket},
// one subject per key under $KV.{bucket}.

/** The KV bucket of a lattice: `LATTICEDATA_{prefix}` (what wasmCloud hosts use). */
export function bucketName(prefix: string): string {
  return `LATTICEDATA_${prefix}`;
}

/** The stream behind a KV bucket: `KV_{bucket}`. */
export function streamName(bucket: string): string {
  return `KV_${bucket}`;
}

/**
 * Where one bucket's messages live and how writes reach them. With a JetStream domain the stream's own
 * subjects stay `$KV.{bucket}.>` (the domain is never part of them); only writes are sent through the
 * domain's API prefix, which the server maps back onto `$KV.{bucket}.…` inside that domain.
 */
export class BucketLayout {
  /** `LATTICEDATA_{prefix}`. */
  readonly bucket: string;
  /** `KV_LATTICEDATA_{prefix}`. */
  readonly stream: string;
  /** The stream's subject filter, `$KV.{bucket}.>`. */
  readonly filterSubject: string;
  private readonly keyPrefix: string;
  private readonly editPrefix: string;

  /**
   * @param prefix - the lattice prefix
   * @param apiPrefix - the JetStream API prefix in use (`$JS.API`, or `$JS.{domain}.API` with a domain)
   */
  constructor(prefix: string, apiPrefix = "$JS.API") {
    this.bucket = bucketName(prefix);
    this.stream = streamName(this.bucket);
    this.keyPrefix = `$KV.${this.bucket}.`;
    this.filterSubject = `${this.keyPrefix}>`;
    this.editPrefix = apiPrefix === "$JS.API" ? this.keyPrefix : `${apiPrefix}.${this.keyPrefix}`;
  }

  /** The subject a key is stored under, `$KV.{bucket}.{key}` (for reads and direct gets). */
  keySubject(key: string): string {
    return this.keyPrefix + key;
  }

  /** The subject a write of `key` is published to (domain-prefixed when a domain is in use). */
  editSubject(key: string): string {
    return this.editPrefix + key;
  }

  /** The key of a stored message's subject, or `undefined` if the subject is not in this bucket. */
  keyOf(subject: string): string | undefined {
    return subject.startsWith(this.keyPrefix) ? subject.slice(this.keyPrefix.length) : undefined;
  }
}

/** The JetStream API prefix for a domain: `$JS.{domain}.API`, or `$JS.API` without one. */
export function apiPrefixFor(jsDomain: string | undefined): string {
  return jsDomain ? `$JS.${jsDomain}.API` : "$JS.API";
}
