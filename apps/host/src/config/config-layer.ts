// One source of configuration (file, environment or flags) as a raw tree, remembering where each value came from.

/** An unvalidated configuration tree as read from a source. */
export type RawConfig = { [key: string]: unknown };

/** Values from one source, and for each dotted path the name of the source that set it. */
export interface ConfigLayer {
  readonly values: RawConfig;
  /** Dotted path → e.g. `env LATTICE_BACKEND`, `flag --backend`, `config file /etc/lattice.yaml`. */
  readonly sources: ReadonlyMap<string, string>;
}

/** Builds a layer path by path. */
export class ConfigLayerBuilder {
  private readonly values: RawConfig = {};
  private readonly sources = new Map<string, string>();

  /** Sets `path` (dotted) unless `value` is undefined. */
  set(path: string, value: unknown, source: string): this {
    if (value === undefined) return this;
    const parts = path.split(".");
    let node = this.values;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (!isPlainObject(next)) node[part] = {};
      node = node[part] as RawConfig;
    }
    node[parts[parts.length - 1] as string] = value;
    this.sources.set(path, source);
    return this;
  }

  /** The finished layer. */
  build(): ConfigLayer {
    return { values: this.values, sources: this.sources };
  }
}

/** A layer that takes a whole tree from one source (a config file). */
export function layerFromTree(values: RawConfig, source: string): ConfigLayer {
  const sources = new Map<string, string>();
  const visit = (node: RawConfig, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      sources.set(path, source);
      if (isPlainObject(value)) visit(value, path);
    }
  };
  visit(values, "");
  return { values, sources };
}

/**
 * Merges layers, later ones winning leaf by leaf (objects merge, arrays and scalars replace):
 * the precedence file < env < flags is the order of the array.
 */
export function mergeLayers(layers: readonly ConfigLayer[]): ConfigLayer {
  const values: RawConfig = {};
  const sources = new Map<string, string>();
  for (const layer of layers) {
    mergeInto(values, layer.values);
    for (const [path, source] of layer.sources) sources.set(path, source);
  }
  return { values, sources };
}

function mergeInto(target: RawConfig, source: RawConfig): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(value) && isPlainObject(existing)) mergeInto(existing, value);
    else if (isPlainObject(value)) {
      const copy: RawConfig = {};
      mergeInto(copy, value);
      setOwn(target, key, copy);
    } else setOwn(target, key, value);
  }
}

/**
 * Sets an own property even for `__proto__` (which a file may hold as a key): plain assignment would swap the
 * object's prototype instead, hiding the key from validation and leaking its values into every lookup.
 */
function setOwn(target: RawConfig, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True for `{…}` objects (not arrays, not null). */
export function isPlainObject(value: unknown): value is RawConfig {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
