// The type TypeScript gives a JSON import of a `T`: string literal unions widen to `string`.
//
// `import doc from "x.json"` types `"entity_type": "task"` as `string`, so `doc satisfies
// TrackingEvent` can never compile, whatever the file holds. `doc satisfies JsonShape<TrackingEvent>`
// does compile exactly when every field is present with the right JSON kind (string, number,
// boolean, null, array, object). Enum values, formats and unexpected extra fields are then checked
// at run time by the validators in src/validate.ts (in `exact` mode).

export type JsonShape<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends null
        ? null
        : T extends readonly (infer Item)[]
          ? JsonShape<Item>[]
          : T extends object
            ? { [K in keyof T]: JsonShape<T[K]> }
            : T;
