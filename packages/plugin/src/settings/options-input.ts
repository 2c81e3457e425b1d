// What a program writes where a backend library parses its options schema (`parseOptions`): the schema's
// validated shape with every member optional — its defaults fill in, its checks refuse what is wrong — and a
// list of texts also as one comma-separated text, as the settings' types accept it. (The settings' own zod
// input types are `unknown`: they take what files, environment variables and flags give.)
import type { z } from "zod";

/** The options a program may pass to a library that parses them with `schema`. */
export type OptionsInput<S extends z.ZodType> = InputOf<z.output<S>>;

/** `T` as a program may give it (see {@link OptionsInput}); functions and what holds them stay as they are. */
export type InputOf<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly InputOf<U>[] | (U extends string ? string : never)
    : T extends object
      ? { readonly [K in keyof T]?: InputOf<T[K]> }
      : T;
