// Typed helpers over `fetch` for every endpoint of the HTTP contract (shared/contract/API.md).

import type {
  Bucket,
  Child,
  ChildId,
  ChildSummary,
  ChildToken,
  CreateChild,
  CreatedUser,
  CreateReward,
  CreateTask,
  CreateUser,
  ErrorCode,
  EventId,
  EventTicket,
  ExportFormat,
  FamilyRanking,
  Health,
  Me,
  Page,
  Reward,
  RewardId,
  RewardRequest,
  Task,
  TaskId,
  Timestamp,
  TrackedMutation,
  TrackingEvent,
  TrackingQuery,
  User,
  UserId,
} from "./models";
import { errorBody } from "./validate";

/** The part of `fetch` the client uses; `globalThis.fetch` fits, and so does a test double. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export type ApiClientOptions = {
  /**
   * Where the server is, e.g. `https://chores.example` or `/api` (same origin, behind a proxy);
   * trailing slashes are ignored. `""` means the same origin's root.
   */
  baseUrl: string;
  /**
   * The bearer token (a parent's, a child's from `createChildToken`, or the admin's), or a
   * function read before each request.
   */
  token: string | (() => string);
  /** Defaults to `globalThis.fetch`, looked up at each request. */
  fetch?: FetchLike | undefined;
  /**
   * Retries after a network failure, a 5xx answer or `409 request_in_progress`, with exponential
   * backoff. Off unless given. A POST keeps its `Idempotency-Key` across its retries, so a retry
   * whose first attempt did reach the server gets that first answer again instead of acting twice.
   */
  retry?: RetryOptions | undefined;
  /** Makes each POST's `Idempotency-Key`; defaults to `crypto.randomUUID()`. */
  newIdempotencyKey?: (() => string) | undefined;
};

/** How requests are retried: `retries` more attempts, waiting `baseDelayMs`, then twice as long each time. */
export type RetryOptions = {
  /** Attempts after the first one; `0` turns retrying off. */
  retries: number;
  /** The wait before the first retry, in milliseconds (default 200). */
  baseDelayMs?: number | undefined;
  /** The longest wait between two attempts, in milliseconds (default 5000). */
  maxDelayMs?: number | undefined;
  /** Waits `ms` milliseconds; defaults to `setTimeout` (tests pass a fake). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
};

/** Per-call options. */
export type RequestOptions = {
  /** Aborts the request (e.g. when a Vue component unmounts). */
  signal?: AbortSignal | undefined;
  /**
   * The `Idempotency-Key` of a POST, when the caller keeps its own (e.g. across a page reload);
   * otherwise each call makes a fresh one. Ignored by `createEventTicket`, which takes no key.
   */
  idempotencyKey?: string | undefined;
};

/** The request header that makes a POST safe to retry. */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

/** The answer header of a replayed first answer. */
export const IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed";

/** The wait before retry number `retry` (0-based): `base · 2^retry`, at most `max`. */
export function retryDelayMs(retry: number, options: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs">): number {
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  return Math.min(max, base * 2 ** retry);
}

/** A `from` / `to` bound: a `Date` (sent as `toISOString()`) or an RFC 3339 string (sent as is). */
export type TimeBound = Date | Timestamp;

/**
 * The filters of `GET /children/{child_id}/tracking`: `TrackingQuery` without the admin-only
 * `child_id` / `user_id`, with `Date`s allowed for `from` / `to`. A filter that is `undefined` or
 * `null` is not sent.
 */
export type ChildTrackingFilters = {
  [K in Exclude<keyof TrackingQuery, "child_id" | "user_id" | "from" | "to">]?: TrackingQuery[K] | null | undefined;
} & {
  from?: TimeBound | null | undefined;
  to?: TimeBound | null | undefined;
};

/** The filters of `GET /admin/tracking`: every child filter plus `child_id` and `user_id`. */
export type AdminTrackingFilters = ChildTrackingFilters & {
  child_id?: ChildId | null | undefined;
  user_id?: UserId | null | undefined;
};

/**
 * The parameters of a child's summary (`GET /children/{child_id}/summary` and the admin's):
 * `from` / `to` as RFC 3339 strings, `Date`s, or local dates / date-times without offset read in
 * `tz` (e.g. `"2026-03-08"`); `tz` an IANA zone name (default `UTC`); `bucket` to split the totals
 * into days, weeks (from Monday) or months of `tz`. `undefined` or `null` is not sent.
 */
export type SummaryFilters = {
  from?: TimeBound | string | null | undefined;
  to?: TimeBound | string | null | undefined;
  tz?: string | null | undefined;
  bucket?: Bucket | null | undefined;
};

/** The parameters of the family's ranking (`GET /summary`): a summary's, without `bucket`. */
export type RankingFilters = Omit<SummaryFilters, "bucket">;

/** The filters of a child's export: the list route's, without `limit` and `offset`. */
export type ChildExportFilters = Omit<ChildTrackingFilters, "limit" | "offset">;

/** The filters of the admin's export: the admin list route's, without `limit` and `offset`. */
export type AdminExportFilters = Omit<AdminTrackingFilters, "limit" | "offset">;

/** The `Content-Type` each export format is asked for with. */
const EXPORT_ACCEPT: Record<ExportFormat, string> = {
  ndjson: "application/x-ndjson",
  csv: "text/csv",
};

/**
 * Builds the query string (with its leading `?`, or `""`) of a summary: `from`, `to`, `tz`,
 * `bucket`, in that order; `Date`s become RFC 3339 via `toISOString()`.
 *
 * @throws RangeError for an invalid `Date` (before anything is sent).
 */
export function summaryQueryString(filters: SummaryFilters | undefined): string {
  const params = new URLSearchParams();
  if (filters !== undefined) {
    for (const name of ["from", "to", "tz", "bucket"] as const) {
      const value = filters[name];
      if (value === undefined || value === null) continue;
      params.append(name, queryValue(name, value));
    }
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** The query string of an export: `format` first, then the filters the route accepts. */
function exportQueryString(format: ExportFormat, filters: AdminExportFilters | undefined, scope: "child" | "admin"): string {
  const rest = trackingQueryString(filters, scope);
  const first = new URLSearchParams({ format }).toString();
  return rest === "" ? `?${first}` : `?${first}&${rest.slice(1)}`;
}

/**
 * The events of an NDJSON export as they arrive: reads `response.body` chunk by chunk and yields
 * each complete line parsed, so a large export never sits in memory whole. Leaving the loop early
 * cancels the download.
 *
 * @throws SyntaxError for a line that is not JSON; the download's own error when it breaks off.
 */
export async function* ndjsonEvents(response: Response): AsyncGenerator<TrackingEvent, void, undefined> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim() !== "") yield JSON.parse(line) as TrackingEvent;
        newline = buffer.indexOf("\n");
      }
    }
    buffer += decoder.decode();
    if (buffer.trim() !== "") yield JSON.parse(buffer) as TrackingEvent;
    finished = true;
  } finally {
    if (finished) reader.releaseLock();
    else await reader.cancel().catch(() => undefined);
  }
}

/**
 * Every query parameter, in the order they are written into the URL. Typed against
 * `TrackingQuery`, so a parameter added on the Rust side breaks the build until it is handled.
 */
const QUERY_PARAMETERS = {
  child_id: "admin",
  user_id: "admin",
  entity_type: "both",
  action: "both",
  from: "both",
  to: "both",
  limit: "both",
  offset: "both",
  order: "both",
} as const satisfies Record<keyof TrackingQuery, "admin" | "both">;

type QueryParameter = keyof typeof QUERY_PARAMETERS;

/**
 * Builds the query string (with its leading `?`, or `""` when nothing is set) of a tracking
 * query. `from` / `to` `Date`s become RFC 3339 via `toISOString()`; strings are sent unchanged.
 * Only the parameters the route accepts are written, in a fixed order.
 *
 * @throws RangeError for an invalid `Date` (before anything is sent).
 */
export function trackingQueryString(filters: AdminTrackingFilters | undefined, scope: "child" | "admin"): string {
  const params = new URLSearchParams();
  if (filters !== undefined) {
    for (const [name, routes] of Object.entries(QUERY_PARAMETERS) as [QueryParameter, "admin" | "both"][]) {
      if (scope === "child" && routes === "admin") continue;
      const value = filters[name];
      if (value === undefined || value === null) continue;
      params.append(name, queryValue(name, value));
    }
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

function queryValue(name: string, value: string | number | Date): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError(`${name}: invalid Date`);
    return value.toISOString();
  }
  return String(value);
}

/** One path segment: the id, percent-encoded. An empty id, `.` or `..` would change the route. */
function segment(name: string, id: string): string {
  if (typeof id !== "string" || id === "" || id === "." || id === "..") {
    throw new TypeError(`${name} must be a non-empty id, got ${JSON.stringify(id)}`);
  }
  return encodeURIComponent(id);
}

/** The status codes the contract gives exactly one error code. */
const CODE_OF_STATUS: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  422: "idempotency_key_reused",
};

/**
 * A request the server refused or could not answer as the contract says. `code` is the contract's
 * error code; when the body is not the contract's error shape (a proxy's HTML page, an empty body,
 * an unknown code), it is derived from the status where the contract maps that status to a single
 * code (400, 401, 403, 404, 413), and is `internal` otherwise.
 */
export class ApiRequestError extends Error {
  override readonly name = "ApiRequestError";
  /** The HTTP status (for a 2xx answer whose body could not be read, that 2xx status). */
  readonly status: number;
  readonly code: ErrorCode;
  /** With `invalid_request`: the field or query parameter the server named. */
  readonly field: string | undefined;
  /** `METHOD path` of the request, for logs. */
  readonly request: string;
  /** Whether the body was the contract's `{"error": {...}}` shape. */
  readonly fromContract: boolean;
  /** The raw response text (may be `""`). */
  readonly responseText: string;

  constructor(init: {
    status: number;
    code: ErrorCode;
    message: string;
    field?: string | undefined;
    request: string;
    fromContract: boolean;
    responseText: string;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.field = init.field;
    this.request = init.request;
    this.fromContract = init.fromContract;
    this.responseText = init.responseText;
  }
}

/** Whether `error` is an `ApiRequestError`, optionally with the given code. */
export function isApiRequestError(error: unknown, code?: ErrorCode): error is ApiRequestError {
  return error instanceof ApiRequestError && (code === undefined || error.code === code);
}

function errorFromResponse(status: number, statusText: string, text: string, request: string): ApiRequestError {
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (errorBody.is(parsed)) {
    const { code, message, details } = parsed.error;
    return new ApiRequestError({ status, code, message, field: details?.field, request, fromContract: true, responseText: text });
  }
  // Not the contract's shape: keep a message the server gave, if any.
  const inner = (parsed as { error?: { message?: unknown } } | undefined)?.error;
  const message =
    typeof inner?.message === "string"
      ? inner.message
      : `${request} failed: HTTP ${status}${statusText === "" ? "" : ` ${statusText}`}`;
  return new ApiRequestError({
    status,
    code: CODE_OF_STATUS[status] ?? "internal",
    message,
    request,
    fromContract: false,
    responseText: text,
  });
}

/** The client: one method per endpoint of the contract. */
export interface ApiClient {
  /** The base URL without trailing slashes (what `backendEvents` puts before `/events`). */
  readonly baseUrl: string;

  /** `GET /health` (sent without a token). */
  health(options?: RequestOptions): Promise<Health>;

  // Users (admin token)
  /** `POST /admin/users`: the new user and its token, shown this once only. */
  adminCreateUser(body: CreateUser, options?: RequestOptions): Promise<CreatedUser>;
  /** `GET /admin/users`. */
  adminListUsers(options?: RequestOptions): Promise<User[]>;
  /** `DELETE /admin/users/{user_id}`: removes the family; its tracking stays, with `user_id: null`. */
  adminDeleteUser(userId: UserId, options?: RequestOptions): Promise<void>;

  // A family's things (parent token; a child token reads its own child and the family's tasks
  // and rewards)
  /** `GET /me`: `{role: "parent", ...User}` or `{role: "child", child}`. */
  me(options?: RequestOptions): Promise<Me>;
  /** `POST /children`. */
  createChild(body: CreateChild, options?: RequestOptions): Promise<Child>;
  /** `GET /children`. */
  listChildren(options?: RequestOptions): Promise<Child[]>;
  /** `GET /children/{child_id}`. */
  getChild(childId: ChildId, options?: RequestOptions): Promise<Child>;
  /** `DELETE /children/{child_id}`. */
  deleteChild(childId: ChildId, options?: RequestOptions): Promise<void>;
  /** `POST /tasks` (`is_good: false` makes a penalty). */
  createTask(body: CreateTask, options?: RequestOptions): Promise<Task>;
  /** `GET /tasks`. */
  listTasks(options?: RequestOptions): Promise<Task[]>;
  /** `GET /tasks/{task_id}`. */
  getTask(taskId: TaskId, options?: RequestOptions): Promise<Task>;
  /** `DELETE /tasks/{task_id}`. */
  deleteTask(taskId: TaskId, options?: RequestOptions): Promise<void>;
  /** `POST /rewards`. */
  createReward(body: CreateReward, options?: RequestOptions): Promise<Reward>;
  /** `GET /rewards`. */
  listRewards(options?: RequestOptions): Promise<Reward[]>;
  /** `GET /rewards/{reward_id}`. */
  getReward(rewardId: RewardId, options?: RequestOptions): Promise<Reward>;
  /** `DELETE /rewards/{reward_id}`. */
  deleteReward(rewardId: RewardId, options?: RequestOptions): Promise<void>;
  /** `GET /children/{child_id}/reward-requests`: the child's pending requests. */
  listPendingRewardRequests(childId: ChildId, options?: RequestOptions): Promise<RewardRequest[]>;

  // Tokens for a child's own device (parent token)
  /** `POST /children/{child_id}/tokens`: a new token for the child, shown this once only. */
  createChildToken(childId: ChildId, options?: RequestOptions): Promise<ChildToken>;
  /** `DELETE /children/{child_id}/tokens`: every token of the child stops working. */
  revokeChildTokens(childId: ChildId, options?: RequestOptions): Promise<void>;

  // The four tracked mutations (parent token; a child token may request and cancel its own)
  /** `POST /children/{child_id}/tasks/{task_id}/activate`: +points for a task, −points for a penalty. */
  activateTask(childId: ChildId, taskId: TaskId, options?: RequestOptions): Promise<TrackedMutation>;
  /** `POST /children/{child_id}/rewards/{reward_id}/request`. */
  requestReward(childId: ChildId, rewardId: RewardId, options?: RequestOptions): Promise<TrackedMutation>;
  /** `POST /children/{child_id}/rewards/{reward_id}/redeem`. */
  redeemReward(childId: ChildId, rewardId: RewardId, options?: RequestOptions): Promise<TrackedMutation>;
  /** `POST /children/{child_id}/rewards/{reward_id}/cancel`. */
  cancelReward(childId: ChildId, rewardId: RewardId, options?: RequestOptions): Promise<TrackedMutation>;

  // Reading tracking
  /** `GET /children/{child_id}/tracking` (parent token). */
  listChildTracking(childId: ChildId, filters?: ChildTrackingFilters, options?: RequestOptions): Promise<Page<TrackingEvent>>;
  /** `GET /admin/tracking` (admin token). */
  adminListTracking(filters?: AdminTrackingFilters, options?: RequestOptions): Promise<Page<TrackingEvent>>;
  /** `GET /admin/tracking/{event_id}` (admin token). */
  adminGetTrackingEvent(eventId: EventId, options?: RequestOptions): Promise<TrackingEvent>;

  // Summaries and ranking
  /** `GET /children/{child_id}/summary` (parent token): the child's totals over a range, optionally by period. */
  getChildSummary(childId: ChildId, filters?: SummaryFilters, options?: RequestOptions): Promise<ChildSummary>;
  /** `GET /admin/children/{child_id}/summary` (admin token): also for a deleted child. */
  adminGetChildSummary(childId: ChildId, filters?: SummaryFilters, options?: RequestOptions): Promise<ChildSummary>;
  /** `GET /summary` (parent token): the family's children ranked by points earned in the range. */
  getFamilyRanking(filters?: RankingFilters, options?: RequestOptions): Promise<FamilyRanking>;

  // Exports: the answer unread, for a download link (`await response.blob()`) or for streaming
  /**
   * `GET /children/{child_id}/tracking/export` (parent token): the `Response` once the server
   * accepted the export (an error answer throws `ApiRequestError`), its body not yet read.
   */
  exportChildTracking(childId: ChildId, format: ExportFormat, filters?: ChildExportFilters, options?: RequestOptions): Promise<Response>;
  /** `GET /admin/tracking/export` (admin token): as `exportChildTracking`. */
  adminExportTracking(format: ExportFormat, filters?: AdminExportFilters, options?: RequestOptions): Promise<Response>;
  /** The child's NDJSON export, event by event as it arrives (see `ndjsonEvents`). */
  iterateChildTracking(childId: ChildId, filters?: ChildExportFilters, options?: RequestOptions): AsyncGenerator<TrackingEvent, void, undefined>;
  /** The admin's NDJSON export, event by event as it arrives (see `ndjsonEvents`). */
  adminIterateTracking(filters?: AdminExportFilters, options?: RequestOptions): AsyncGenerator<TrackingEvent, void, undefined>;

  // Live events
  /** `POST /events/ticket` (parent token): a one-time ticket for `GET /events?ticket=...`, valid 60 s. */
  createEventTicket(options?: RequestOptions): Promise<EventTicket>;
}

type Call = {
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: unknown;
  auth?: boolean;
  /** Defaults to `application/json`. */
  accept?: string;
  /** `false` for the one POST that takes no `Idempotency-Key`. */
  keyed?: boolean;
  options: RequestOptions | undefined;
};

/** Whether a failed attempt may be retried: no answer, a 5xx, or the first attempt still running. */
function isRetryable(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted === true) return false;
  if (error instanceof ApiRequestError) {
    return error.fromContract ? error.status >= 500 || error.code === "request_in_progress" : error.status >= 500;
  }
  return !(error instanceof DOMException && error.name === "AbortError");
}

/** Waits `ms` (with `sleep` when given), or rejects with the signal's reason once it aborts. */
function pause(ms: number, signal: AbortSignal | undefined, sleep: ((ms: number) => Promise<void>) | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      if (timer !== undefined) clearTimeout(timer);
      reject(signal?.reason);
    };
    const done = () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    if (signal?.aborted === true) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (sleep !== undefined) {
      sleep(ms).then(done, reject);
    } else {
      timer = setTimeout(done, ms);
    }
  });
}

function freshKey(): string {
  return globalThis.crypto.randomUUID();
}

/** Makes a client. Nothing is sent until a method is called. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const token = options.token;

  /** One call: a POST gets its key once, and every retry of it sends the same key. */
  async function withRetries<R>(call: Call, attempt: (key: string | undefined) => Promise<R>): Promise<R> {
    const key =
      call.method === "POST" && call.keyed !== false
        ? (call.options?.idempotencyKey ?? (options.newIdempotencyKey ?? freshKey)())
        : undefined;
    const retry = options.retry;
    const retries = Math.max(0, Math.floor(retry?.retries ?? 0));
    for (let tries = 0; ; tries += 1) {
      try {
        return await attempt(key);
      } catch (error) {
        if (tries >= retries || !isRetryable(error, call.options?.signal)) throw error;
        await pause(retryDelayMs(tries, retry ?? {}), call.options?.signal, retry?.sleep);
      }
    }
  }

  /** Sends the request once; an error answer is read and thrown, a success is returned unread. */
  async function attemptOnce(call: Call, key: string | undefined): Promise<{ response: Response; request: string }> {
    const request = `${call.method} ${call.path}`;
    const headers: Record<string, string> = { Accept: call.accept ?? "application/json" };
    if (call.auth !== false) {
      headers["Authorization"] = `Bearer ${typeof token === "function" ? token() : token}`;
    }
    if (key !== undefined) headers[IDEMPOTENCY_KEY_HEADER] = key;
    const init: RequestInit = { method: call.method, headers };
    if (call.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(call.body);
    }
    if (call.options?.signal !== undefined) init.signal = call.options.signal;
    // Called as a plain function: a browser's fetch refuses to run with another `this`.
    const fetchFn = options.fetch ?? globalThis.fetch;
    const response = await fetchFn(`${baseUrl}${call.path}`, init);
    if (!response.ok) throw errorFromResponse(response.status, response.statusText, await response.text(), request);
    return { response, request };
  }

  /** Sends the request (again on a retryable failure); a success is returned unread. */
  async function open(call: Call): Promise<{ response: Response; request: string }> {
    return withRetries(call, (key) => attemptOnce(call, key));
  }

  /** Sends the request and reads the answer; losing the answer while reading it is retried too. */
  async function send(call: Call): Promise<{ response: Response; text: string; request: string }> {
    return withRetries(call, async (key) => {
      const { response, request } = await attemptOnce(call, key);
      return { response, text: await response.text(), request };
    });
  }

  async function download(path: string, format: ExportFormat, options: RequestOptions | undefined): Promise<Response> {
    return (await open({ method: "GET", path, accept: EXPORT_ACCEPT[format], options })).response;
  }

  async function json<T>(call: Call): Promise<T> {
    const { response, text, request } = await send(call);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiRequestError({
        status: response.status,
        code: "internal",
        message: `${request}: the answer is not JSON`,
        request,
        fromContract: false,
        responseText: text,
      });
    }
  }

  async function empty(call: Call): Promise<void> {
    await send(call);
  }

  const get = <T>(path: string, options: RequestOptions | undefined) => json<T>({ method: "GET", path, options });
  const post = <T>(path: string, body: unknown, options: RequestOptions | undefined) =>
    json<T>({ method: "POST", path, body, options });
  const del = (path: string, options: RequestOptions | undefined) => empty({ method: "DELETE", path, options });
  const child = (id: ChildId) => `/children/${segment("childId", id)}`;

  return {
    baseUrl,

    health: (o) => json<Health>({ method: "GET", path: "/health", auth: false, options: o }),

    adminCreateUser: (body, o) => post<CreatedUser>("/admin/users", body, o),
    adminListUsers: (o) => get<User[]>("/admin/users", o),
    adminDeleteUser: async (userId, o) => del(`/admin/users/${segment("userId", userId)}`, o),

    me: (o) => get<Me>("/me", o),

    createChild: (body, o) => post<Child>("/children", body, o),
    listChildren: (o) => get<Child[]>("/children", o),
    getChild: async (childId, o) => get<Child>(child(childId), o),
    deleteChild: async (childId, o) => del(child(childId), o),

    createTask: (body, o) => post<Task>("/tasks", body, o),
    listTasks: (o) => get<Task[]>("/tasks", o),
    getTask: async (taskId, o) => get<Task>(`/tasks/${segment("taskId", taskId)}`, o),
    deleteTask: async (taskId, o) => del(`/tasks/${segment("taskId", taskId)}`, o),

    createReward: (body, o) => post<Reward>("/rewards", body, o),
    listRewards: (o) => get<Reward[]>("/rewards", o),
    getReward: async (rewardId, o) => get<Reward>(`/rewards/${segment("rewardId", rewardId)}`, o),
    deleteReward: async (rewardId, o) => del(`/rewards/${segment("rewardId", rewardId)}`, o),

    listPendingRewardRequests: async (childId, o) => get<RewardRequest[]>(`${child(childId)}/reward-requests`, o),

    createChildToken: async (childId, o) => json<ChildToken>({ method: "POST", path: `${child(childId)}/tokens`, options: o }),
    revokeChildTokens: async (childId, o) => del(`${child(childId)}/tokens`, o),

    activateTask: async (childId, taskId, o) =>
      json<TrackedMutation>({ method: "POST", path: `${child(childId)}/tasks/${segment("taskId", taskId)}/activate`, options: o }),
    requestReward: async (childId, rewardId, o) =>
      json<TrackedMutation>({ method: "POST", path: `${child(childId)}/rewards/${segment("rewardId", rewardId)}/request`, options: o }),
    redeemReward: async (childId, rewardId, o) =>
      json<TrackedMutation>({ method: "POST", path: `${child(childId)}/rewards/${segment("rewardId", rewardId)}/redeem`, options: o }),
    cancelReward: async (childId, rewardId, o) =>
      json<TrackedMutation>({ method: "POST", path: `${child(childId)}/rewards/${segment("rewardId", rewardId)}/cancel`, options: o }),

    listChildTracking: async (childId, filters, o) =>
      get<Page<TrackingEvent>>(`${child(childId)}/tracking${trackingQueryString(filters, "child")}`, o),
    adminListTracking: async (filters, o) =>
      get<Page<TrackingEvent>>(`/admin/tracking${trackingQueryString(filters, "admin")}`, o),
    adminGetTrackingEvent: async (eventId, o) => get<TrackingEvent>(`/admin/tracking/${segment("eventId", eventId)}`, o),

    getChildSummary: async (childId, filters, o) => get<ChildSummary>(`${child(childId)}/summary${summaryQueryString(filters)}`, o),
    adminGetChildSummary: async (childId, filters, o) =>
      get<ChildSummary>(`/admin${child(childId)}/summary${summaryQueryString(filters)}`, o),
    getFamilyRanking: async (filters, o) => get<FamilyRanking>(`/summary${summaryQueryString(filters)}`, o),

    exportChildTracking: async (childId, format, filters, o) =>
      download(`${child(childId)}/tracking/export${exportQueryString(format, filters, "child")}`, format, o),
    adminExportTracking: async (format, filters, o) =>
      download(`/admin/tracking/export${exportQueryString(format, filters, "admin")}`, format, o),
    iterateChildTracking: async function* (childId, filters, o) {
      yield* ndjsonEvents(await download(`${child(childId)}/tracking/export${exportQueryString("ndjson", filters, "child")}`, "ndjson", o));
    },
    adminIterateTracking: async function* (filters, o) {
      yield* ndjsonEvents(await download(`/admin/tracking/export${exportQueryString("ndjson", filters, "admin")}`, "ndjson", o));
    },

    createEventTicket: (o) => json<EventTicket>({ method: "POST", path: "/events/ticket", keyed: false, options: o }),
  };
}
