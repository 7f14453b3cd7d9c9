// Runtime checks of the JSON documents the server sends, written against the generated types.
//
// Each document validator is built with `record<T>(schema)`, where the schema is a mapped type over
// `T` from `./models`: it must name every field of `T` (and no other), and each field's validator
// must produce exactly that field's type. So when the Rust types change and `models.ts` is
// regenerated, this file stops compiling until the checks follow. A value that passes
// `validator.is(value)` therefore really is a `T`, and the narrowing is sound.
//
// The checks are also a little stricter than the TypeScript types where the contract says more:
// ids are ULIDs, timestamps are RFC 3339 UTC with milliseconds, points are safe integers.

import type {
  Action,
  Actor,
  ApiError,
  Child,
  ChildToken,
  CreatedUser,
  EntityType,
  ErrorBody,
  ErrorCode,
  ErrorDetails,
  EventMetadata,
  EventTicket,
  Health,
  Me,
  Page,
  Reward,
  RewardRequest,
  RewardRequestStatus,
  ServerEventType,
  SortOrder,
  StreamResetReason,
  Task,
  TrackedMutation,
  TrackingEvent,
  TrackingEventCreated,
  TrackingStreamReset,
  User,
} from "./models";

/** Options of a check. */
export type CheckOptions = {
  /**
   * Also report object fields the type does not know. Off by default, so a newer server that adds
   * a field does not break an older front end; the fixture tests turn it on.
   */
  exact?: boolean | undefined;
};

/** Checks that an unknown value is a `T`; `problems` explains why not. */
export interface Validator<T> {
  /** A short name for messages, e.g. `TrackingEvent` or `one of "asc" | "desc"`. */
  readonly expected: string;
  /** Every problem found, each prefixed with the path to it (`$.items[0].delta: ...`); empty when valid. */
  problems(value: unknown, options?: CheckOptions, path?: string): string[];
  /** `true` when `problems` finds none. */
  is(value: unknown, options?: CheckOptions): value is T;
}

/** The type a validator checks. */
export type Validated<V> = V extends Validator<infer T> ? T : never;

/** Thrown by `assertValid`. */
export class ValidationError extends Error {
  override readonly name = "ValidationError";
  constructor(
    readonly expected: string,
    readonly problemList: readonly string[],
  ) {
    super(`not a valid ${expected}: ${problemList.join("; ")}`);
  }
}

/** Returns the value typed as `T`, or throws a `ValidationError` listing every problem. */
export function assertValid<T>(validator: Validator<T>, value: unknown, options?: CheckOptions): T {
  const found = validator.problems(value, options);
  if (found.length > 0) throw new ValidationError(validator.expected, found);
  return value as T;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function validator<T>(
  expected: string,
  collect: (value: unknown, options: CheckOptions, path: string, out: string[]) => void,
): Validator<T> {
  const problems = (value: unknown, options: CheckOptions = {}, path = "$"): string[] => {
    const out: string[] = [];
    collect(value, options, path, out);
    return out;
  };
  return {
    expected,
    problems,
    is: (value: unknown, options?: CheckOptions): value is T => problems(value, options).length === 0,
  };
}

function leaf<T>(expected: string, test: (value: unknown) => boolean): Validator<T> {
  return validator<T>(expected, (value, _options, path, out) => {
    if (!test(value)) out.push(`${path}: expected ${expected}, got ${describe(value)}`);
  });
}

// ---- building blocks ------------------------------------------------------------------------

/** Any string. */
export const string: Validator<string> = leaf("a string", (v) => typeof v === "string");

/** A boolean. */
export const boolean: Validator<boolean> = leaf("a boolean", (v) => typeof v === "boolean");

/** An integer JavaScript reads exactly (within ±(2^53 − 1)), as the contract promises. */
export const integer: Validator<number> = leaf("a safe integer", (v) => Number.isSafeInteger(v));

/** A non-negative safe integer. */
export const count: Validator<number> = leaf(
  "a non-negative safe integer",
  (v) => Number.isSafeInteger(v) && (v as number) >= 0,
);

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
/** A ULID: 26 Crockford base32 characters. */
export const ulid: Validator<string> = leaf("a ULID", (v) => typeof v === "string" && ULID.test(v));

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A timestamp as the server writes it: RFC 3339, UTC, `Z`, exactly three fraction digits. */
export const timestamp: Validator<string> = leaf(
  "an RFC 3339 UTC timestamp with milliseconds",
  (v) => typeof v === "string" && TIMESTAMP.test(v) && !Number.isNaN(Date.parse(v)),
);

/** A plain JSON object (not an array, not null) with any fields. */
export const jsonObject: Validator<Record<string, unknown>> = leaf(
  "an object",
  (v) => typeof v === "object" && v !== null && !Array.isArray(v),
);

/**
 * One of a string union's members. The argument must list every member of `T` and nothing else
 * (`Record<T, true>`), so a variant added on the Rust side breaks the build here until added.
 */
export function oneOf<T extends string>(members: Record<T, true>): Validator<T> {
  const names = Object.keys(members);
  return leaf<T>(
    `one of ${names.map((n) => JSON.stringify(n)).join(" | ")}`,
    (v) => typeof v === "string" && Object.hasOwn(members, v),
  );
}

/** `T` or `null`. */
export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  const expected = `${inner.expected} or null`;
  return validator<T | null>(expected, (value, options, path, out) => {
    if (value === null) return;
    const found = inner.problems(value, options, path);
    // Inside an object, the inner problems say more; for anything else, mention the null.
    if (found.length > 0 && (typeof value !== "object" || Array.isArray(value))) {
      out.push(`${path}: expected ${expected}, got ${describe(value)}`);
    } else {
      out.push(...found);
    }
  });
}

/** An array whose every item is a `T`. */
export function array<T>(item: Validator<T>): Validator<T[]> {
  return validator<T[]>(`an array of ${item.expected}`, (value, options, path, out) => {
    if (!Array.isArray(value)) {
      out.push(`${path}: expected an array, got ${describe(value)}`);
      return;
    }
    value.forEach((entry, index) => out.push(...item.problems(entry, options, `${path}[${index}]`)));
  });
}

/** Marks an optional field (`name?: T`): it may be absent, but when present it must be a `T`. */
export type OptionalField<T> = { readonly optional: Validator<T> };

/** Marks an optional field of a `record` schema. */
export function optional<T>(inner: Validator<T>): OptionalField<T> {
  return { optional: inner };
}

type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];

/**
 * The checks of every field of `T`: exactly its keys, a `Validator<T[K]>` for a required field and
 * an `optional(...)` for an optional one.
 */
export type Schema<T> = {
  [K in keyof T]-?: K extends OptionalKeys<T> ? OptionalField<Exclude<T[K], undefined>> : Validator<T[K]>;
};

/** An object with the fields of `T`, each checked by the schema. */
export function record<T>(name: string, schema: Schema<T>): Validator<T> {
  const fields = Object.entries(schema) as [string, Validator<unknown> | OptionalField<unknown>][];
  const known = new Set(fields.map(([key]) => key));
  return validator<T>(name, (value, options, path, out) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      out.push(`${path}: expected ${name} (an object), got ${describe(value)}`);
      return;
    }
    const object = value as Record<string, unknown>;
    for (const [key, check] of fields) {
      const here = `${path}.${key}`;
      if ("optional" in check) {
        if (Object.hasOwn(object, key)) out.push(...check.optional.problems(object[key], options, here));
      } else if (!Object.hasOwn(object, key)) {
        out.push(`${here}: missing (expected ${check.expected})`);
      } else {
        out.push(...check.problems(object[key], options, here));
      }
    }
    if (options.exact === true) {
      for (const key of Object.keys(object)) {
        if (!known.has(key)) out.push(`${path}.${key}: not a field of ${name}`);
      }
    }
  });
}

// ---- the contract's enums ---------------------------------------------------------------------

export const entityType: Validator<EntityType> = oneOf<EntityType>({ task: true, reward: true, penalty: true });

export const action: Validator<Action> = oneOf<Action>({
  activated: true,
  requested: true,
  redeemed: true,
  cancelled: true,
});

export const actor: Validator<Actor> = oneOf<Actor>({ parent: true, child: true });

export const rewardRequestStatus: Validator<RewardRequestStatus> = oneOf<RewardRequestStatus>({
  pending: true,
  redeemed: true,
  cancelled: true,
});

export const sortOrder: Validator<SortOrder> = oneOf<SortOrder>({ asc: true, desc: true });

export const serverEventType: Validator<ServerEventType> = oneOf<ServerEventType>({
  tracking_event_created: true,
  tracking_stream_reset: true,
});

export const errorCode: Validator<ErrorCode> = oneOf<ErrorCode>({
  invalid_request: true,
  unauthorized: true,
  forbidden: true,
  not_found: true,
  insufficient_points: true,
  already_requested: true,
  no_pending_request: true,
  points_out_of_range: true,
  payload_too_large: true,
  internal: true,
  idempotency_key_reused: true,
  request_in_progress: true,
});

// ---- the contract's documents -----------------------------------------------------------------

export const eventMetadata: Validator<EventMetadata> = record<EventMetadata>("EventMetadata", {
  entity_name: string,
  actor,
  points: optional(integer),
  is_good: optional(boolean),
  cost: optional(integer),
  reward_request_id: optional(ulid),
});

export const trackingEvent: Validator<TrackingEvent> = record<TrackingEvent>("TrackingEvent", {
  id: ulid,
  user_id: nullable(ulid),
  child_id: ulid,
  entity_type: entityType,
  entity_id: ulid,
  action,
  points_before: integer,
  points_after: integer,
  delta: integer,
  occurred_at: timestamp,
  created_at: timestamp,
  metadata: nullable(eventMetadata),
});

export const user: Validator<User> = record<User>("User", {
  id: ulid,
  name: string,
  created_at: timestamp,
});

export const child: Validator<Child> = record<Child>("Child", {
  id: ulid,
  user_id: ulid,
  name: string,
  points: integer,
  created_at: timestamp,
});

export const task: Validator<Task> = record<Task>("Task", {
  id: ulid,
  user_id: ulid,
  name: string,
  points: integer,
  is_good: boolean,
  created_at: timestamp,
});

export const reward: Validator<Reward> = record<Reward>("Reward", {
  id: ulid,
  user_id: ulid,
  name: string,
  cost: integer,
  created_at: timestamp,
});

export const rewardRequest: Validator<RewardRequest> = record<RewardRequest>("RewardRequest", {
  id: ulid,
  child_id: ulid,
  reward_id: ulid,
  status: rewardRequestStatus,
  requested_at: timestamp,
  resolved_at: nullable(timestamp),
});

export const createdUser: Validator<CreatedUser> = record<CreatedUser>("CreatedUser", {
  user,
  token: string,
});

export const childToken: Validator<ChildToken> = record<ChildToken>("ChildToken", {
  token: string,
  child_id: ulid,
});

const parentMe = record<Extract<Me, { role: "parent" }>>("Me", {
  role: oneOf<"parent">({ parent: true }),
  id: ulid,
  name: string,
  created_at: timestamp,
});

const childMe = record<Extract<Me, { role: "child" }>>("Me", {
  role: oneOf<"child">({ child: true }),
  child,
});

/** `GET /me`: the parent's fields next to `role: "parent"`, or `role: "child"` with the child. */
export const me: Validator<Me> = validator<Me>("Me", (value, options, path, out) => {
  const role = (value as { role?: unknown } | null | undefined)?.role;
  if (role === "child") out.push(...childMe.problems(value, options, path));
  else if (role === "parent") out.push(...parentMe.problems(value, options, path));
  else out.push(`${path}.role: expected one of "parent" | "child", got ${describe(role)}`);
});

export const trackedMutation: Validator<TrackedMutation> = record<TrackedMutation>("TrackedMutation", {
  child,
  tracking_event: trackingEvent,
  reward_request: optional(rewardRequest),
});

export const eventTicket: Validator<EventTicket> = record<EventTicket>("EventTicket", {
  ticket: string,
  expires_at: timestamp,
});

export const health: Validator<Health> = record<Health>("Health", {
  status: string,
  tracking_backlog: count,
  audit_backlog: count,
});

/** A page of `T`. */
export function page<T>(item: Validator<T>): Validator<Page<T>> {
  return record<Page<T>>(`Page<${item.expected}>`, {
    items: array(item),
    total: count,
    limit: count,
    offset: count,
  });
}

export const trackingEventPage: Validator<Page<TrackingEvent>> = page(trackingEvent);

export const trackingEventCreated: Validator<TrackingEventCreated> = record<TrackingEventCreated>(
  "TrackingEventCreated",
  {
    tracking_event_id: ulid,
    child_id: ulid,
    entity_type: entityType,
    entity_id: ulid,
    action,
    delta: integer,
    points_after: integer,
    occurred_at: timestamp,
  },
);

export const streamResetReason: Validator<StreamResetReason> = oneOf<StreamResetReason>({
  unknown_cursor: true,
  too_far_behind: true,
});

export const trackingStreamReset: Validator<TrackingStreamReset> = record<TrackingStreamReset>(
  "TrackingStreamReset",
  { reason: streamResetReason },
);

export const errorDetails: Validator<ErrorDetails> = record<ErrorDetails>("ErrorDetails", { field: string });

export const apiError: Validator<ApiError> = record<ApiError>("ApiError", {
  code: errorCode,
  message: string,
  details: optional(errorDetails),
});

export const errorBody: Validator<ErrorBody> = record<ErrorBody>("ErrorBody", { error: apiError });
