// What `lattice apply` would do to each item of its file, against what the lattice holds now: add it,
// change it (which fields, from what to what) or leave it unchanged — `kubectl apply` semantics: entries the
// file does not name are left alone.
import type { ApplyItem } from "./apply-document.js";
import { COLLECTION_CODECS } from "./collection-codecs.js";

/** One field that differs; `from`/`to` are absent where the field is. Nested objects are diffed per key. */
export interface FieldChange {
  /** `name`, or `values.bucket` for a key of a nested object. */
  readonly field: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

/** What happens to one item. */
export type ApplyAction = "added" | "changed" | "unchanged";

/** One item with its action and, for a change, the differing fields. */
export interface PlannedItem {
  readonly item: ApplyItem;
  readonly action: ApplyAction;
  readonly changes: readonly FieldChange[];
}

/**
 * Plans each item against `current` (the value now stored under a key, or undefined). Values are compared in
 * their wire shape (the collection codec's `toWire`), as hosts see them.
 */
export function planApply(items: readonly ApplyItem[], current: (item: ApplyItem) => unknown): PlannedItem[] {
  return items.map((item) => {
    const before = current(item);
    if (before === undefined) return { item, action: "added", changes: [] };
    const codec = COLLECTION_CODECS[item.collection];
    const changes = diffFields(codec.toWire(before), codec.toWire(item.value));
    return { item, action: changes.length === 0 ? "unchanged" : "changed", changes };
  });
}

/** How many items get each action. */
export function countActions(plan: readonly PlannedItem[]): Record<ApplyAction, number> {
  const counts = { added: 0, changed: 0, unchanged: 0 };
  for (const p of plan) counts[p.action]++;
  return counts;
}

function diffFields(from: Record<string, unknown>, to: Record<string, unknown>, prefix = ""): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const a = from[field];
    const b = to[field];
    const name = `${prefix}${field}`;
    if (isPlainObject(a) && isPlainObject(b)) changes.push(...diffFields(a, b, `${name}.`));
    else if (JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push({
        field: name,
        ...(a === undefined ? {} : { from: a }),
        ...(b === undefined ? {} : { to: b }),
      });
    }
  }
  return changes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
