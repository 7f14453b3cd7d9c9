// Generated from the Rust types in crates/tracking-model — do not edit.
// Regenerate with: UPDATE_GENERATED=1 cargo test -p tracking-model --test generated

/**
 * Identifies a user (a parent account).
 */
export type UserId = string;

/**
 * Identifies a child.
 */
export type ChildId = string;

/**
 * Identifies a task or a penalty.
 */
export type TaskId = string;

/**
 * Identifies a reward.
 */
export type RewardId = string;

/**
 * Identifies a reward request.
 */
export type RewardRequestId = string;

/**
 * Identifies a tracking event.
 */
export type EventId = string;

/**
 * Identifies the task, penalty or reward a tracking event is about.
 */
export type EntityId = string;

/**
 * An instant in UTC, whole milliseconds, between the years 0000 and 9999.
 *
 * Serialized as RFC 3339 with exactly three fraction digits and a `Z`; that text parses back to
 * the same value.
 */
export type Timestamp = string;

/**
 * What kind of thing an event is about.
 */
export type EntityType = "task" | "reward" | "penalty";

/**
 * What happened.
 */
export type Action = "activated" | "requested" | "redeemed" | "cancelled";

/**
 * Who performed a tracked action: the parent, or the child on its own device.
 */
export type Actor = "parent" | "child";

/**
 * The facts an event keeps so that the history reads well after the entity is deleted, and who
 * acted. Unknown keys are ignored when an event is read. The fields are in alphabetical order,
 * so the JSON is written as version 1 wrote its free-form metadata (a sorted map).
 */
export type EventMetadata = {
  /**
   * Who acted; an event stored before version 2 has none and was made by a parent.
   */
  actor: Actor;
  /**
   * The reward's cost; only on reward events.
   */
  cost?: number;
  /**
   * The task's or reward's name when the action happened.
   */
  entity_name: string;
  /**
   * Whether the activated task was good (`false`: a penalty); only on activations.
   */
  is_good?: boolean;
  /**
   * A task's or penalty's magnitude (positive); only on activations.
   */
  points?: number;
  /**
   * The request created or resolved by a reward event, when there is one.
   */
  reward_request_id?: RewardRequestId;
};

/**
 * One tracked action on a child: a task or penalty activated, a reward requested, redeemed or
 * cancelled. Append-only history; `delta == points_after - points_before` always holds.
 *
 * The server builds every event through one checking constructor (reading one back runs the same
 * checks), so no event that breaks these rules can exist.
 */
export type TrackingEvent = {
  id: EventId;
  /**
   * The parent who owns the child; `null` once that user is deleted.
   */
  user_id: UserId | null;
  child_id: ChildId;
  entity_type: EntityType;
  /**
   * The task (also for a penalty) or reward acted on.
   */
  entity_id: EntityId;
  action: Action;
  points_before: number;
  points_after: number;
  delta: number;
  /**
   * Server time when the action was accepted.
   */
  occurred_at: Timestamp;
  /**
   * When the record was built for storage; never before `occurred_at`.
   */
  created_at: Timestamp;
  /**
   * The entity's name and size and who acted; `null` only on events stored before any of it
   * was recorded.
   */
  metadata: EventMetadata | null;
};

/**
 * A parent account. Its token is never part of this record.
 */
export type User = {
  id: UserId;
  name: string;
  created_at: Timestamp;
};

/**
 * A child of a user's family, with its current points (may be below 0 after penalties).
 */
export type Child = {
  id: ChildId;
  user_id: UserId;
  name: string;
  points: number;
  created_at: Timestamp;
};

/**
 * Something a child does for points; with `is_good: false` it is a penalty that takes them.
 */
export type Task = {
  id: TaskId;
  user_id: UserId;
  name: string;
  /**
   * A positive magnitude, 1 to 1,000,000; the sign comes from `is_good`.
   */
  points: number;
  is_good: boolean;
  created_at: Timestamp;
};

/**
 * Something a child can spend points on.
 */
export type Reward = {
  id: RewardId;
  user_id: UserId;
  name: string;
  /**
   * 1 to 1,000,000 points.
   */
  cost: number;
  created_at: Timestamp;
};

/**
 * Where a reward request stands.
 */
export type RewardRequestStatus = "pending" | "redeemed" | "cancelled";

/**
 * A child's request for a reward, pending until a parent redeems or cancels it.
 */
export type RewardRequest = {
  id: RewardRequestId;
  child_id: ChildId;
  reward_id: RewardId;
  status: RewardRequestStatus;
  requested_at: Timestamp;
  /**
   * `null` while pending.
   */
  resolved_at: Timestamp | null;
};

/**
 * `POST /admin/users`.
 */
export type CreateUser = {
  /**
   * 1 to 100 characters after trimming, no control characters.
   */
  name: string;
};

/**
 * `POST /children`; the child starts with 0 points.
 */
export type CreateChild = {
  /**
   * 1 to 100 characters after trimming, no control characters.
   */
  name: string;
};

/**
 * `POST /tasks`; `is_good: false` makes a penalty.
 */
export type CreateTask = {
  /**
   * 1 to 100 characters after trimming, no control characters.
   */
  name: string;
  /**
   * 1 to 1,000,000.
   */
  points: number;
  is_good: boolean;
};

/**
 * `POST /rewards`.
 */
export type CreateReward = {
  /**
   * 1 to 100 characters after trimming, no control characters.
   */
  name: string;
  /**
   * 1 to 1,000,000.
   */
  cost: number;
};

/**
 * `POST /admin/users`: the new user and its token, shown this once only.
 */
export type CreatedUser = {
  user: User;
  /**
   * The parent's bearer token; only its hash is kept.
   */
  token: string;
};

/**
 * `POST /children/{child_id}/tokens`: a token for the child's own device, shown this once only.
 */
export type ChildToken = {
  /**
   * The child's bearer token; only its hash is kept.
   */
  token: string;
  child_id: ChildId;
};

/**
 * `GET /me`: who the bearer token belongs to.
 */
export type Me = { "role": "parent" } & User | { "role": "child", child: Child, };

/**
 * The answer of the four tracked mutations.
 */
export type TrackedMutation = {
  /**
   * The child with its points after the action.
   */
  child: Child;
  /**
   * The one event the action recorded.
   */
  tracking_event: TrackingEvent;
  /**
   * The request created or resolved, where one is involved.
   */
  reward_request?: RewardRequest;
};

/**
 * `POST /events/ticket`: a one-time ticket for `GET /events?ticket=...`.
 */
export type EventTicket = {
  ticket: string;
  /**
   * The ticket works once, until this instant.
   */
  expires_at: Timestamp;
};

/**
 * `GET /health`.
 */
export type Health = {
  /**
   * `"ok"` while the server serves.
   */
  status: string;
  /**
   * Tracking events committed with their points change but not yet in the history.
   */
  tracking_backlog: number;
  /**
   * Committed tracking events not yet known to be in their user's audit files; after a start,
   * every event of a family counts until its files have been read back.
   */
  audit_backlog: number;
};

/**
 * Direction over (`occurred_at`, `created_at`, `id`).
 */
export type SortOrder = "asc" | "desc";

/**
 * The query parameters of `GET /children/{id}/tracking` and `GET /admin/tracking`, all optional
 * and combined with AND. `child_id` and `user_id` are for the admin route only.
 */
export type TrackingQuery = { child_id?: ChildId, user_id?: UserId, entity_type?: EntityType, action?: Action, 
/**
 * Events with `occurred_at >= from`.
 */
from?: Timestamp, 
/**
 * Events with `occurred_at < to`.
 */
to?: Timestamp, 
/**
 * 1 to 500, default 50.
 */
limit?: number, 
/**
 * Default 0.
 */
offset?: number, 
/**
 * Default `asc`.
 */
order?: SortOrder, };

/**
 * One page of results and the count of every match.
 */
export type Page<T> = {
  items: Array<T>;
  /**
   * Every match, not just this page.
   */
  total: number;
  limit: number;
  offset: number;
};

/**
 * The length of the periods a summary's totals are split into.
 */
export type Bucket = "day" | "week" | "month";

/**
 * The query parameters of `GET /children/{id}/summary`, `GET /admin/children/{id}/summary` and
 * (without `bucket`) `GET /summary`, as a client sends them; all optional.
 */
export type SummaryQuery = { 
/**
 * Events with `occurred_at >=` this: RFC 3339, or a local date or date-time in `tz`.
 */
from?: string, 
/**
 * Events with `occurred_at <` this: RFC 3339, or a local date or date-time in `tz`.
 */
to?: string, 
/**
 * An IANA zone name; default `UTC`.
 */
tz?: string, 
/**
 * Split the totals into periods of this length (child summaries only).
 */
bucket?: Bucket, };

/**
 * What a set of events adds up to.
 *
 * `earned` sums the deltas of activated tasks, `lost` the absolute deltas of activated penalties,
 * `spent` the absolute deltas of redeemed rewards; the rest count events by kind.
 */
export type Totals = {
  earned: number;
  lost: number;
  spent: number;
  tasks_activated: number;
  penalties_activated: number;
  rewards_requested: number;
  rewards_redeemed: number;
  rewards_cancelled: number;
};

/**
 * One period of a bucketed summary.
 */
export type BucketTotals = {
  /**
   * The period's first instant: local midnight in the summary's `tz`, written in UTC.
   */
  start: Timestamp;
  earned: number;
  lost: number;
  spent: number;
};

/**
 * The answer of `GET /children/{id}/summary` and `GET /admin/children/{id}/summary`.
 */
export type ChildSummary = {
  child_id: ChildId;
  /**
   * The child's current points; on the admin route, its points after its last recorded event
   * (0 without events), also for a deleted child.
   */
  points: number;
  /**
   * The range's inclusive start in UTC; `null` for no lower bound.
   */
  from: Timestamp | null;
  /**
   * The range's exclusive end in UTC; `null` for no upper bound.
   */
  to: Timestamp | null;
  /**
   * The IANA zone of the bucket edges and of `from`/`to` given without offset.
   */
  tz: string;
  /**
   * Every event of the child in the range.
   */
  totals: Totals;
  /**
   * `earned / (earned + lost)` of `totals`; `null` when both are 0.
   */
  good_share: number | null;
  /**
   * Only with `bucket`: one entry per period in the range that has events, oldest first.
   */
  buckets?: Array<BucketTotals>;
};

/**
 * One child's place in its family's ranking.
 */
export type RankedChild = {
  child_id: ChildId;
  name: string;
  /**
   * The child's current points.
   */
  points: number;
  /**
   * The child's events in the range.
   */
  totals: Totals;
  /**
   * `earned / (earned + lost)` of `totals`; `null` when both are 0.
   */
  good_share: number | null;
  /**
   * 1 for the most `earned`; children with equal `earned` share a rank, and the next rank
   * skips as many places (1, 1, 3).
   */
  rank: number;
};

/**
 * The answer of `GET /summary`: every child of the family, best first.
 */
export type FamilyRanking = {
  /**
   * Ordered by `totals.earned` descending, then by name, then by id.
   */
  children: Array<RankedChild>;
};

/**
 * How an export is written.
 */
export type ExportFormat = "ndjson" | "csv";

/**
 * The `event:` name of every server event.
 */
export type ServerEventType = "tracking_event_created" | "tracking_stream_reset";

/**
 * Payload of `tracking_event_created`: the event's id and enough to update a view without a fetch.
 */
export type TrackingEventCreated = {
  tracking_event_id: EventId;
  child_id: ChildId;
  entity_type: EntityType;
  entity_id: EntityId;
  action: Action;
  delta: number;
  points_after: number;
  occurred_at: Timestamp;
};

/**
 * Why a stream could not resume from the cursor it was given.
 */
export type StreamResetReason = "unknown_cursor" | "too_far_behind";

/**
 * Payload of `tracking_stream_reset`: the stream starts live without replaying what was missed.
 */
export type TrackingStreamReset = {
  reason: StreamResetReason;
};

/**
 * The stable machine-readable code of every error answer.
 */
export type ErrorCode = "invalid_request" | "unauthorized" | "forbidden" | "not_found" | "insufficient_points" | "already_requested" | "no_pending_request" | "points_out_of_range" | "payload_too_large" | "internal" | "idempotency_key_reused" | "request_in_progress";

/**
 * Where an `invalid_request` error lies.
 */
export type ErrorDetails = {
  /**
   * The request field or query parameter, as the client spelled it.
   */
  field: string;
};

/**
 * What went wrong, for programs (`code`) and for people (`message`).
 */
export type ApiError = {
  code: ErrorCode;
  /**
   * A sentence for people; never internals.
   */
  message: string;
  /**
   * With `invalid_request`: which field or query parameter is wrong.
   */
  details?: ErrorDetails;
};

/**
 * The body of every error answer: `{"error": {"code", "message", "details"?}}`.
 */
export type ErrorBody = {
  error: ApiError;
};
