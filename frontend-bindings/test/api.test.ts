import { afterEach, describe, expect, it, vi } from "vitest";

import {
  ApiRequestError,
  IDEMPOTENCY_KEY_HEADER,
  createApiClient,
  isApiRequestError,
  ndjsonEvents,
  retryDelayMs,
  summaryQueryString,
  trackingQueryString,
} from "../src/api";
import type { AdminTrackingFilters, ApiClient } from "../src/api";
import type {
  Child,
  ChildSummary,
  CreatedUser,
  EventTicket,
  FamilyRanking,
  Health,
  Page,
  Reward,
  RewardRequest,
  Task,
  TrackedMutation,
  TrackingEvent,
  User,
} from "../src/models";
import errorInsufficientPoints from "../../fixtures/error_insufficient_points.json";
import errorInvalidRequest from "../../fixtures/error_invalid_request.json";
import { fakeFetch, json, noContent, text } from "./support/fakeFetch";

const BASE = "http://127.0.0.1:8080";
const TOKEN = "parent-token-0123456789abcdefghijklmnop";

const USER_ID = "01JKZ8M1C2D3E4F5G6H7J8K9MN";
const CHILD_ID = "01JKZ8N0P1Q2R3S4T5V6W7X8YZ";
const TASK_ID = "01JKZ8P9A8B7C6D5E4F3G2H1JK";
const REWARD_ID = "01JKZ8PB1C2D3E4F5G6H7J8K9M";
const EVENT_ID = "01JKZ8Q4V3X9T7M2N5P6R8S0AB";
const AT = "2026-02-09T18:42:15.123Z";

const user: User = { id: USER_ID, name: "Alex", created_at: AT };
const child: Child = { id: CHILD_ID, user_id: USER_ID, name: "Sam", points: 0, created_at: AT };
const task: Task = { id: TASK_ID, user_id: USER_ID, name: "Make bed", points: 5, is_good: true, created_at: AT };
const reward: Reward = { id: REWARD_ID, user_id: USER_ID, name: "Ice cream", cost: 20, created_at: AT };
const request: RewardRequest = {
  id: "01JKZ8Q6B0C1D2E3F4G5H6J7K8",
  child_id: CHILD_ID,
  reward_id: REWARD_ID,
  status: "pending",
  requested_at: AT,
  resolved_at: null,
};
const event: TrackingEvent = {
  id: EVENT_ID,
  user_id: USER_ID,
  child_id: CHILD_ID,
  entity_type: "task",
  entity_id: TASK_ID,
  action: "activated",
  points_before: 10,
  points_after: 15,
  delta: 5,
  occurred_at: AT,
  created_at: AT,
  metadata: { entity_name: "Make bed", actor: "parent", points: 5, is_good: true },
};
const mutation: TrackedMutation = { child: { ...child, points: 15 }, tracking_event: event };
const page: Page<TrackingEvent> = { items: [event], total: 1, limit: 50, offset: 0 };
const created: CreatedUser = { user, token: TOKEN };
const ticket: EventTicket = { ticket: "tkt_abc", expires_at: AT };
const health: Health = { status: "ok", tracking_backlog: 0, audit_backlog: 0 };
const totals = {
  earned: 5,
  lost: 3,
  spent: 0,
  tasks_activated: 1,
  penalties_activated: 1,
  rewards_requested: 0,
  rewards_redeemed: 0,
  rewards_cancelled: 0,
};
const summary: ChildSummary = {
  child_id: CHILD_ID,
  points: 2,
  from: null,
  to: null,
  tz: "UTC",
  totals,
  good_share: 0.625,
};
const ranking: FamilyRanking = {
  children: [{ child_id: CHILD_ID, name: "Sam", points: 2, totals, good_share: 0.625, rank: 1 }],
};

/** Collects an async iterable. */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function client(...responses: Response[]) {
  const fake = fakeFetch(...responses);
  return { api: createApiClient({ baseUrl: BASE, token: TOKEN, fetch: fake.fetch }), calls: fake.calls };
}

type Endpoint = {
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: unknown;
  auth?: false;
  /** The answer's status and body; `undefined` body means 204. */
  status: number;
  answer?: unknown;
  /** The `Accept` header sent, when not `application/json`. */
  accept?: string;
  /** What the call resolves to, when not `answer` itself. */
  expected?: unknown;
  call: (api: ApiClient) => Promise<unknown>;
};

/** Every endpoint of API.md, keyed by the client method that calls it. */
const endpoints: Record<Exclude<keyof ApiClient, "baseUrl">, Endpoint> = {
  health: { method: "GET", path: "/health", auth: false, status: 200, answer: health, call: (a) => a.health() },
  adminCreateUser: {
    method: "POST",
    path: "/admin/users",
    body: { name: "Alex" },
    status: 201,
    answer: created,
    call: (a) => a.adminCreateUser({ name: "Alex" }),
  },
  adminListUsers: { method: "GET", path: "/admin/users", status: 200, answer: [user], call: (a) => a.adminListUsers() },
  adminDeleteUser: {
    method: "DELETE",
    path: `/admin/users/${USER_ID}`,
    status: 204,
    call: (a) => a.adminDeleteUser(USER_ID),
  },
  me: { method: "GET", path: "/me", status: 200, answer: { role: "parent", ...user }, call: (a) => a.me() },
  createChild: {
    method: "POST",
    path: "/children",
    body: { name: "Sam" },
    status: 201,
    answer: child,
    call: (a) => a.createChild({ name: "Sam" }),
  },
  listChildren: { method: "GET", path: "/children", status: 200, answer: [child], call: (a) => a.listChildren() },
  getChild: { method: "GET", path: `/children/${CHILD_ID}`, status: 200, answer: child, call: (a) => a.getChild(CHILD_ID) },
  deleteChild: { method: "DELETE", path: `/children/${CHILD_ID}`, status: 204, call: (a) => a.deleteChild(CHILD_ID) },
  createTask: {
    method: "POST",
    path: "/tasks",
    body: { name: "Hitting sibling", points: 3, is_good: false },
    status: 201,
    answer: task,
    call: (a) => a.createTask({ name: "Hitting sibling", points: 3, is_good: false }),
  },
  listTasks: { method: "GET", path: "/tasks", status: 200, answer: [task], call: (a) => a.listTasks() },
  getTask: { method: "GET", path: `/tasks/${TASK_ID}`, status: 200, answer: task, call: (a) => a.getTask(TASK_ID) },
  deleteTask: { method: "DELETE", path: `/tasks/${TASK_ID}`, status: 204, call: (a) => a.deleteTask(TASK_ID) },
  createReward: {
    method: "POST",
    path: "/rewards",
    body: { name: "Ice cream", cost: 20 },
    status: 201,
    answer: reward,
    call: (a) => a.createReward({ name: "Ice cream", cost: 20 }),
  },
  listRewards: { method: "GET", path: "/rewards", status: 200, answer: [reward], call: (a) => a.listRewards() },
  getReward: {
    method: "GET",
    path: `/rewards/${REWARD_ID}`,
    status: 200,
    answer: reward,
    call: (a) => a.getReward(REWARD_ID),
  },
  deleteReward: { method: "DELETE", path: `/rewards/${REWARD_ID}`, status: 204, call: (a) => a.deleteReward(REWARD_ID) },
  createChildToken: {
    method: "POST",
    path: `/children/${CHILD_ID}/tokens`,
    status: 201,
    answer: { token: TOKEN, child_id: CHILD_ID },
    call: (a) => a.createChildToken(CHILD_ID),
  },
  revokeChildTokens: {
    method: "DELETE",
    path: `/children/${CHILD_ID}/tokens`,
    status: 204,
    call: (a) => a.revokeChildTokens(CHILD_ID),
  },
  listPendingRewardRequests: {
    method: "GET",
    path: `/children/${CHILD_ID}/reward-requests`,
    status: 200,
    answer: [request],
    call: (a) => a.listPendingRewardRequests(CHILD_ID),
  },
  activateTask: {
    method: "POST",
    path: `/children/${CHILD_ID}/tasks/${TASK_ID}/activate`,
    status: 200,
    answer: mutation,
    call: (a) => a.activateTask(CHILD_ID, TASK_ID),
  },
  requestReward: {
    method: "POST",
    path: `/children/${CHILD_ID}/rewards/${REWARD_ID}/request`,
    status: 200,
    answer: { ...mutation, reward_request: request },
    call: (a) => a.requestReward(CHILD_ID, REWARD_ID),
  },
  redeemReward: {
    method: "POST",
    path: `/children/${CHILD_ID}/rewards/${REWARD_ID}/redeem`,
    status: 200,
    answer: mutation,
    call: (a) => a.redeemReward(CHILD_ID, REWARD_ID),
  },
  cancelReward: {
    method: "POST",
    path: `/children/${CHILD_ID}/rewards/${REWARD_ID}/cancel`,
    status: 200,
    answer: { ...mutation, reward_request: { ...request, status: "cancelled", resolved_at: AT } },
    call: (a) => a.cancelReward(CHILD_ID, REWARD_ID),
  },
  listChildTracking: {
    method: "GET",
    path: `/children/${CHILD_ID}/tracking`,
    status: 200,
    answer: page,
    call: (a) => a.listChildTracking(CHILD_ID),
  },
  adminListTracking: { method: "GET", path: "/admin/tracking", status: 200, answer: page, call: (a) => a.adminListTracking() },
  adminGetTrackingEvent: {
    method: "GET",
    path: `/admin/tracking/${EVENT_ID}`,
    status: 200,
    answer: event,
    call: (a) => a.adminGetTrackingEvent(EVENT_ID),
  },
  createEventTicket: { method: "POST", path: "/events/ticket", status: 200, answer: ticket, call: (a) => a.createEventTicket() },
  getChildSummary: {
    method: "GET",
    path: `/children/${CHILD_ID}/summary?tz=Europe%2FBerlin&bucket=week`,
    status: 200,
    answer: summary,
    call: (a) => a.getChildSummary(CHILD_ID, { tz: "Europe/Berlin", bucket: "week" }),
  },
  adminGetChildSummary: {
    method: "GET",
    path: `/admin/children/${CHILD_ID}/summary`,
    status: 200,
    answer: summary,
    call: (a) => a.adminGetChildSummary(CHILD_ID),
  },
  getFamilyRanking: {
    method: "GET",
    path: "/summary?from=2026-03-01&tz=America%2FLos_Angeles",
    status: 200,
    answer: ranking,
    call: (a) => a.getFamilyRanking({ from: "2026-03-01", tz: "America/Los_Angeles" }),
  },
  exportChildTracking: {
    method: "GET",
    path: `/children/${CHILD_ID}/tracking/export?format=ndjson&order=desc`,
    status: 200,
    answer: event,
    accept: "application/x-ndjson",
    call: async (a) => (await a.exportChildTracking(CHILD_ID, "ndjson", { order: "desc" })).json(),
  },
  adminExportTracking: {
    method: "GET",
    path: `/admin/tracking/export?format=csv&child_id=${CHILD_ID}`,
    status: 200,
    answer: event,
    accept: "text/csv",
    call: async (a) => (await a.adminExportTracking("csv", { child_id: CHILD_ID })).json(),
  },
  iterateChildTracking: {
    method: "GET",
    path: `/children/${CHILD_ID}/tracking/export?format=ndjson&entity_type=task`,
    status: 200,
    answer: event,
    accept: "application/x-ndjson",
    expected: [event],
    call: (a) => collect(a.iterateChildTracking(CHILD_ID, { entity_type: "task" })),
  },
  adminIterateTracking: {
    method: "GET",
    path: "/admin/tracking/export?format=ndjson",
    status: 200,
    answer: event,
    accept: "application/x-ndjson",
    expected: [event],
    call: (a) => collect(a.adminIterateTracking()),
  },
};

describe("every endpoint", () => {
  it("has a row in this table for each client method", () => {
    const { api } = client();
    const methods = Object.keys(api).filter((key) => key !== "baseUrl");
    expect(methods.sort()).toEqual(Object.keys(endpoints).sort());
  });

  for (const [name, e] of Object.entries(endpoints)) {
    it(`${name}: ${e.method} ${e.path}`, async () => {
      const { api, calls } = client(e.answer === undefined ? noContent() : json(e.status, e.answer));
      const result = await e.call(api);

      expect(calls).toHaveLength(1);
      const [sent] = calls;
      expect(sent?.url).toBe(`${BASE}${e.path}`);
      expect(sent?.method).toBe(e.method);
      expect(sent?.headers["accept"]).toBe(e.accept ?? "application/json");
      if (e.auth === false) expect(sent?.headers).not.toHaveProperty("authorization");
      else expect(sent?.headers["authorization"]).toBe(`Bearer ${TOKEN}`);
      if (e.body === undefined) {
        expect(sent?.body).toBeUndefined();
        expect(sent?.headers).not.toHaveProperty("content-type");
      } else {
        expect(sent?.headers["content-type"]).toBe("application/json");
        expect(JSON.parse(String(sent?.body))).toEqual(e.body);
      }
      expect(result).toEqual("expected" in e ? e.expected : e.answer);
    });
  }
});

describe("summaries and exports", () => {
  it("writes summary parameters in a fixed order, Dates as RFC 3339", () => {
    expect(summaryQueryString(undefined)).toBe("");
    expect(summaryQueryString({ bucket: null, tz: undefined })).toBe("");
    expect(
      summaryQueryString({ bucket: "day", tz: "America/Los_Angeles", to: new Date(Date.UTC(2026, 2, 9)), from: "2026-03-08" }),
    ).toBe("?from=2026-03-08&to=2026-03-09T00%3A00%3A00.000Z&tz=America%2FLos_Angeles&bucket=day");
    expect(() => summaryQueryString({ from: new Date(Number.NaN) })).toThrow(RangeError);
  });

  it("parses NDJSON lines split anywhere across chunks, multi-byte characters included", async () => {
    const second = { ...event, id: "01JKZ8Q4V3X9T7M2N5P6R8S0AC", metadata: { entity_name: "Zoë – 家" } };
    const bytes = new TextEncoder().encode(`${JSON.stringify(event)}\n\n${JSON.stringify(second)}`);
    for (const size of [1, 3, 7, 64, bytes.length]) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size));
          controller.close();
        },
      });
      expect(await collect(ndjsonEvents(new Response(body)))).toEqual([event, second]);
    }
    expect(await collect(ndjsonEvents(new Response(null)))).toEqual([]);
  });

  it("cancels the download when the loop stops early", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(`${JSON.stringify(event)}\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const first of ndjsonEvents(new Response(body))) {
      expect(first).toEqual(event);
      break;
    }
    expect(cancelled).toBe(true);
  });

  it("throws the contract's error for a refused export, before any event", async () => {
    const { api } = client(json(400, errorInvalidRequest));
    const error = await collect(api.adminIterateTracking()).catch((e: unknown) => e);
    expect(isApiRequestError(error, "invalid_request")).toBe(true);
  });
});

describe("tracking query strings", () => {
  const from = new Date(Date.UTC(2026, 1, 9, 18, 42, 15, 123));
  // Each filter with a value and how it must appear in the URL (percent-encoded by hand here,
  // independently of URLSearchParams).
  const all = [
    ["child_id", CHILD_ID, CHILD_ID],
    ["user_id", USER_ID, USER_ID],
    ["entity_type", "penalty", "penalty"],
    ["action", "activated", "activated"],
    ["from", from, "2026-02-09T18%3A42%3A15.123Z"],
    ["to", "2026-02-10T00:00:00+01:00", "2026-02-10T00%3A00%3A00%2B01%3A00"],
    ["limit", 25, "25"],
    ["offset", 0, "0"],
    ["order", "desc", "desc"],
  ] as const;
  const adminOnly = new Set(["child_id", "user_id"]);

  /** Every subset of the filters; unset ones are left out, `undefined` or `null` in turn. */
  function* combinations(): Generator<{ filters: Record<string, unknown>; set: (typeof all)[number][] }> {
    for (let mask = 0; mask < 1 << all.length; mask++) {
      const filters: Record<string, unknown> = {};
      const set: (typeof all)[number][] = [];
      all.forEach((entry, bit) => {
        if (mask & (1 << bit)) {
          filters[entry[0]] = entry[1];
          set.push(entry);
        } else if (mask % 3 === 1) {
          filters[entry[0]] = undefined;
        } else if (mask % 3 === 2) {
          filters[entry[0]] = null;
        }
      });
      yield { filters, set };
    }
  }

  it("admin: sends exactly the set filters, encoded, in a fixed order (all 512 combinations)", async () => {
    let checked = 0;
    for (const { filters, set } of combinations()) {
      const { api, calls } = client(json(200, page));
      await api.adminListTracking(filters as AdminTrackingFilters);
      const query = set.map(([name, , encoded]) => `${name}=${encoded}`).join("&");
      expect(calls[0]?.url).toBe(`${BASE}/admin/tracking${query === "" ? "" : `?${query}`}`);
      checked++;
    }
    expect(checked).toBe(512);
  });

  it("child: sends the set filters but never the admin-only child_id / user_id", async () => {
    let checked = 0;
    for (const { filters, set } of combinations()) {
      const { api, calls } = client(json(200, page));
      await api.listChildTracking(CHILD_ID, filters as AdminTrackingFilters);
      const query = set
        .filter(([name]) => !adminOnly.has(name))
        .map(([name, , encoded]) => `${name}=${encoded}`)
        .join("&");
      expect(calls[0]?.url).toBe(`${BASE}/children/${CHILD_ID}/tracking${query === "" ? "" : `?${query}`}`);
      checked++;
    }
    expect(checked).toBe(512);
  });

  it("sends a Date in UTC with milliseconds, whatever its zone, and strings unchanged", () => {
    expect(trackingQueryString({ from: new Date("2026-02-10T00:00:00+01:00") }, "child")).toBe(
      "?from=2026-02-09T23%3A00%3A00.000Z",
    );
    expect(trackingQueryString({ to: "2026-02-09T18:42:15Z" }, "admin")).toBe("?to=2026-02-09T18%3A42%3A15Z");
    expect(trackingQueryString({}, "admin")).toBe("");
    expect(trackingQueryString(undefined, "admin")).toBe("");
  });

  it("encodes values that need it", () => {
    expect(trackingQueryString({ child_id: "a&b=c d/é" }, "admin")).toBe("?child_id=a%26b%3Dc+d%2F%C3%A9");
  });

  it("refuses an invalid Date before sending anything", async () => {
    const { api, calls } = client(json(200, page));
    await expect(api.listChildTracking(CHILD_ID, { from: new Date("nope") })).rejects.toThrow(RangeError);
    expect(calls).toHaveLength(0);
  });
});

describe("paths, base URL and token", () => {
  it("percent-encodes ids in paths", async () => {
    const { api, calls } = client(json(200, child), json(200, mutation));
    await api.getChild("a/b c?d#e");
    await api.activateTask("x/y", "../t");
    expect(calls.map((c) => c.url)).toEqual([
      `${BASE}/children/a%2Fb%20c%3Fd%23e`,
      `${BASE}/children/x%2Fy/tasks/..%2Ft/activate`,
    ]);
  });

  it.each(["", ".", ".."])("refuses the id %j, which would change the route", async (id) => {
    const { api, calls } = client(json(200, child));
    await expect(api.getChild(id)).rejects.toThrow(TypeError);
    await expect(api.redeemReward(CHILD_ID, id)).rejects.toThrow(/rewardId/);
    expect(calls).toHaveLength(0);
  });

  it("ignores trailing slashes of the base URL and allows a relative one", async () => {
    const a = fakeFetch(json(200, user));
    await createApiClient({ baseUrl: "https://x.example/api//", token: "t", fetch: a.fetch }).me();
    expect(a.calls[0]?.url).toBe("https://x.example/api/me");
    const b = fakeFetch(json(200, user));
    const relative = createApiClient({ baseUrl: "", token: "t", fetch: b.fetch });
    await relative.me();
    expect(b.calls[0]?.url).toBe("/me");
    expect(relative.baseUrl).toBe("");
  });

  it("reads a token function before each request", async () => {
    let token = "first";
    const fake = fakeFetch(json(200, user), json(200, user));
    const api = createApiClient({ baseUrl: BASE, token: () => token, fetch: fake.fetch });
    await api.me();
    token = "second";
    await api.me();
    expect(fake.calls.map((c) => c.headers["authorization"])).toEqual(["Bearer first", "Bearer second"]);
  });

  it("passes an AbortSignal through", async () => {
    const controller = new AbortController();
    const { api, calls } = client(json(200, [child]));
    await api.listChildren({ signal: controller.signal });
    expect(calls[0]?.signal).toBe(controller.signal);
  });

  describe("without an injected fetch", () => {
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    it("uses globalThis.fetch, looked up at request time, called without a `this`", async () => {
      const api = createApiClient({ baseUrl: BASE, token: TOKEN });
      let receiver: unknown = "unset";
      const spy = vi.fn(function (this: unknown) {
        receiver = this;
        return Promise.resolve(json(200, health));
      });
      vi.stubGlobal("fetch", spy);
      await expect(api.health()).resolves.toEqual(health);
      expect(spy).toHaveBeenCalledWith(`${BASE}/health`, expect.objectContaining({ method: "GET" }));
      expect(receiver).toBeUndefined();
    });
  });
});

describe("errors", () => {
  async function failure(response: Response, call: (api: ApiClient) => Promise<unknown> = (a) => a.me()) {
    const { api } = client(response);
    try {
      await call(api);
    } catch (error) {
      return error;
    }
    throw new Error("the call did not fail");
  }

  it("maps the contract's error body: status, code, message", async () => {
    const error = await failure(json(409, errorInsufficientPoints), (a) => a.redeemReward(CHILD_ID, REWARD_ID));
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "ApiRequestError",
      status: 409,
      code: "insufficient_points",
      message: "child has 3 points, reward costs 10",
      field: undefined,
      fromContract: true,
      request: `POST /children/${CHILD_ID}/rewards/${REWARD_ID}/redeem`,
    });
    expect(isApiRequestError(error, "insufficient_points")).toBe(true);
    expect(isApiRequestError(error, "not_found")).toBe(false);
  });

  it("carries details.field of invalid_request", async () => {
    const error = await failure(json(400, errorInvalidRequest), (a) => a.adminListTracking({ limit: 501 }));
    expect(error).toMatchObject({ status: 400, code: "invalid_request", field: "limit", fromContract: true });
  });

  it.each([
    [401, "unauthorized"],
    [403, "forbidden"],
    [404, "not_found"],
    [409, "already_requested"],
    [409, "no_pending_request"],
    [409, "points_out_of_range"],
    [413, "payload_too_large"],
    [500, "internal"],
  ] as const)("maps %i %s", async (status, code) => {
    const error = await failure(json(status, { error: { code, message: `m ${code}` } }));
    expect(error).toMatchObject({ status, code, message: `m ${code}`, fromContract: true });
  });

  it.each([
    [400, "invalid_request"],
    [401, "unauthorized"],
    [403, "forbidden"],
    [404, "not_found"],
    [413, "payload_too_large"],
    [409, "internal"],
    [500, "internal"],
    [502, "internal"],
  ] as const)("a %i without the contract's body becomes code %s", async (status, code) => {
    const body = "<html><body>Bad Gateway</body></html>";
    const error = await failure(text(status, body));
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toMatchObject({ status, code, fromContract: false, responseText: body, field: undefined });
    expect((error as Error).message).toContain(`HTTP ${status}`);
  });

  it("an empty error body is still typed", async () => {
    const error = await failure(new Response(null, { status: 401 }));
    expect(error).toMatchObject({ status: 401, code: "unauthorized", fromContract: false, responseText: "" });
  });

  it("keeps the message of an error body whose code the contract does not know", async () => {
    const error = await failure(json(409, { error: { code: "brand_new", message: "something new" } }));
    expect(error).toMatchObject({ status: 409, code: "internal", message: "something new", fromContract: false });
  });

  it("a 2xx answer that is not JSON is an `internal` error with that status", async () => {
    const error = await failure(text(200, "OK"), (a) => a.listChildren());
    expect(error).toMatchObject({ status: 200, code: "internal", fromContract: false, responseText: "OK" });
  });

  it("lets a network failure through unchanged", async () => {
    const down = new TypeError("fetch failed");
    const api = createApiClient({ baseUrl: BASE, token: TOKEN, fetch: () => Promise.reject(down) });
    await expect(api.me()).rejects.toBe(down);
  });

  it("a DELETE answering 204 resolves to undefined, and a failed one rejects", async () => {
    const { api } = client(noContent(), json(404, { error: { code: "not_found", message: "no such child" } }));
    await expect(api.deleteChild(CHILD_ID)).resolves.toBeUndefined();
    await expect(api.deleteChild(CHILD_ID)).rejects.toMatchObject({ status: 404, code: "not_found" });
  });
});

describe("idempotency keys and retries", () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const key = IDEMPOTENCY_KEY_HEADER.toLowerCase();
  const unavailable = () => json(503, { error: { code: "internal", message: "internal error" } });
  const inProgress = () =>
    json(409, { error: { code: "request_in_progress", message: "the first request with this idempotency key is still running" } });

  /** A client whose waits are recorded instead of waited. */
  function retrying(retries: number, ...queue: Response[]) {
    const fake = fakeFetch(...queue);
    const waits: number[] = [];
    const api = createApiClient({
      baseUrl: BASE,
      token: TOKEN,
      fetch: fake.fetch,
      retry: { retries, sleep: async (ms) => void waits.push(ms) },
    });
    return { api, calls: fake.calls, waits };
  }

  it("sends a fresh key with each POST, and none with GET, DELETE or the event ticket", async () => {
    const { fetch, calls } = fakeFetch(json(201, child), json(201, child), json(200, [child]), noContent(), json(200, { ticket: "t", expires_at: AT }));
    const api = createApiClient({ baseUrl: BASE, token: TOKEN, fetch });
    await api.createChild({ name: "Sam" });
    await api.createChild({ name: "Sam" });
    await api.listChildren();
    await api.deleteChild(CHILD_ID);
    await api.createEventTicket();
    const [first, second] = [calls[0]?.headers[key], calls[1]?.headers[key]];
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
    expect(calls.slice(2).map((call) => call.headers[key])).toEqual([undefined, undefined, undefined]);
  });

  it("sends the caller's own key when given one", async () => {
    const { fetch, calls } = fakeFetch(json(200, mutation));
    const api = createApiClient({ baseUrl: BASE, token: TOKEN, fetch });
    await api.activateTask(CHILD_ID, TASK_ID, { idempotencyKey: "tap-42" });
    expect(calls[0]?.headers[key]).toBe("tap-42");
  });

  it("does not retry unless asked to", async () => {
    const { fetch, calls } = fakeFetch(unavailable(), json(200, mutation));
    const api = createApiClient({ baseUrl: BASE, token: TOKEN, fetch });
    await expect(api.activateTask(CHILD_ID, TASK_ID)).rejects.toMatchObject({ status: 503 });
    expect(calls).toHaveLength(1);
  });

  it("retries a network failure, a 5xx and a request in progress with the same key, backing off", async () => {
    const fake = fakeFetch(unavailable(), inProgress(), json(200, mutation));
    let failedOnce = false;
    const waits: number[] = [];
    const api = createApiClient({
      baseUrl: BASE,
      token: TOKEN,
      fetch: async (url, init) => {
        if (!failedOnce) {
          failedOnce = true;
          await fake.fetch(url, init).catch(() => undefined);
          throw new TypeError("fetch failed");
        }
        return fake.fetch(url, init);
      },
      retry: { retries: 5, baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) },
    });
    // The first attempt's answer is lost to the network; the queue's first answer is consumed by it.
    await expect(api.activateTask(CHILD_ID, TASK_ID)).resolves.toEqual(mutation);
    expect(fake.calls).toHaveLength(3);
    const keys = new Set(fake.calls.map((call) => call.headers[key]));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(UUID);
    expect(waits).toEqual([100, 200]);
  });

  it.each([
    [400, "invalid_request"],
    [404, "not_found"],
    [409, "insufficient_points"],
    [422, "idempotency_key_reused"],
  ])("does not retry %i %s", async (status, code) => {
    const { api, calls } = retrying(3, json(status, { error: { code, message: "no" } }), json(200, mutation));
    await expect(api.redeemReward(CHILD_ID, REWARD_ID)).rejects.toMatchObject({ status, code });
    expect(calls).toHaveLength(1);
  });

  it("gives up after the retries it was given, with the last error", async () => {
    const { api, calls, waits } = retrying(2, unavailable(), unavailable(), inProgress(), json(200, mutation));
    await expect(api.activateTask(CHILD_ID, TASK_ID)).rejects.toMatchObject({ status: 409, code: "request_in_progress" });
    expect(calls).toHaveLength(3);
    expect(waits).toEqual([200, 400]);
  });

  it("retries GETs too, without a key", async () => {
    const { api, calls } = retrying(1, unavailable(), json(200, [child]));
    await expect(api.listChildren()).resolves.toEqual([child]);
    expect(calls.map((call) => call.headers[key])).toEqual([undefined, undefined]);
  });

  it("stops retrying once the signal aborts", async () => {
    const controller = new AbortController();
    const fake = fakeFetch(unavailable(), json(200, mutation));
    let waiting = false;
    const never = () => {
      waiting = true;
      return new Promise<void>(() => undefined);
    };
    const api = createApiClient({ baseUrl: BASE, token: TOKEN, fetch: fake.fetch, retry: { retries: 3, sleep: never } });
    const pending = api.activateTask(CHILD_ID, TASK_ID, { signal: controller.signal });
    await vi.waitFor(() => expect(waiting).toBe(true));
    controller.abort(new DOMException("gone", "AbortError"));
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(fake.calls).toHaveLength(1);
  });

  it("doubles the wait up to its cap", () => {
    expect([0, 1, 2, 3, 4, 5].map((retry) => retryDelayMs(retry, { baseDelayMs: 100, maxDelayMs: 1000 }))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(retryDelayMs(0, {})).toBe(200);
  });
});
