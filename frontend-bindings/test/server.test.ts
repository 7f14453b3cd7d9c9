// End to end: the bindings against the real `tracking-server` (built if needed, started on a free
// port with temp data and log dirs, stopped with SIGTERM). Every request goes through `api.ts`, the
// live events through `backendEvents.ts` over a real SSE connection (`eventsource` from npm).
//
// The steps share one server and run in order; each builds on the state the previous ones left.

import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

import { EventSource } from "eventsource";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { ApiRequestError, createApiClient } from "../src/api";
import type { AdminTrackingFilters, ApiClient, ChildTrackingFilters } from "../src/api";
import { connectBackendEvents, openBackendEvents } from "../src/backendEvents";
import type {
  BackendEventProblem,
  BackendEventStream,
  EventSourceLike,
  ServerEventMeta,
} from "../src/backendEvents";
import type {
  Action,
  Child,
  EntityType,
  ErrorCode,
  Page,
  Reward,
  SortOrder,
  Task,
  TrackedMutation,
  TrackingEvent,
  TrackingEventCreated,
  User,
} from "../src/models";
import * as validators from "../src/validate";
import { assertValid } from "../src/validate";
import { ensureServerBinary, startServer, type RunningServer } from "./support/trackingServer";

/** `cargo build` of a cold workspace on a 2-core machine. */
const BUILD_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
/** Longest wait for something the server sends asynchronously (SSE, audit lines). */
const WAIT_MS = 10_000;

let server: RunningServer | undefined;
let admin: ApiClient;
let live: BackendEventStream | undefined;

function running(): RunningServer {
  if (server === undefined) throw new Error("the server did not start");
  return server;
}

beforeAll(async () => {
  const binary = await ensureServerBinary(BUILD_TIMEOUT_MS);
  server = await startServer(binary, START_TIMEOUT_MS);
  admin = createApiClient({ baseUrl: server.baseUrl, token: server.adminToken });
}, BUILD_TIMEOUT_MS + START_TIMEOUT_MS);

afterAll(async () => {
  live?.close();
  const current = server;
  if (current === undefined) return;
  try {
    const status = await current.stop(STOP_TIMEOUT_MS);
    expect(status, `exit of tracking-server after SIGTERM; its log:\n${current.stderr()}`).toEqual({
      code: 0,
      signal: null,
    });
    const log = current.stderr();
    expect(log.match(/listening on http:\/\/127\.0\.0\.1:\d+/g)).toHaveLength(1);
    expect(log.split("\n").filter((line) => / ERROR /.test(line))).toEqual([]);
  } finally {
    await current.dispose();
  }
}, STOP_TIMEOUT_MS + 5_000);

// ---- helpers ------------------------------------------------------------------------------------

/** Every answer is checked against the generated types at run time, unknown fields included. */
function valid<T>(validator: validators.Validator<T>, value: T): T {
  return assertValid(validator, value, { exact: true });
}

/** Awaits a refusal and checks it is the contract's error with this status and code. */
async function refused(promise: Promise<unknown>, status: number, code: ErrorCode, field?: string): Promise<ApiRequestError> {
  const error: unknown = await promise.then(
    (answer) => {
      throw new Error(`expected ${status} ${code}, got an answer: ${JSON.stringify(answer)}`);
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ApiRequestError);
  const apiError = error as ApiRequestError;
  expect({ status: apiError.status, code: apiError.code, fromContract: apiError.fromContract }).toEqual({
    status,
    code,
    fromContract: true,
  });
  expect(apiError.message).not.toBe("");
  if (field !== undefined) expect(apiError.field).toBe(field);
  return apiError;
}

/** The payload the server must send on SSE for a recorded event. */
function createdPayload(event: TrackingEvent): TrackingEventCreated {
  return {
    tracking_event_id: event.id,
    child_id: event.child_id,
    entity_type: event.entity_type,
    entity_id: event.entity_id,
    action: event.action,
    delta: event.delta,
    points_after: event.points_after,
    occurred_at: event.occurred_at,
  };
}

/** `ts` as the same instant written with a `+02:00` offset (RFC 3339, not UTC). */
function withOffset(ts: string): string {
  return new Date(Date.parse(ts) + 2 * 3_600_000).toISOString().replace("Z", "+02:00");
}

/** What a tracking query must return, computed from the events the mutations answered with. */
function expectedPage(
  all: TrackingEvent[],
  filters: AdminTrackingFilters,
): { items: TrackingEvent[]; total: number; limit: number; offset: number } {
  const at = (ts: string | Date) => (ts instanceof Date ? ts.getTime() : Date.parse(ts));
  const matching = all.filter(
    (e) =>
      (filters.child_id == null || e.child_id === filters.child_id) &&
      (filters.user_id == null || e.user_id === filters.user_id) &&
      (filters.entity_type == null || e.entity_type === filters.entity_type) &&
      (filters.action == null || e.action === filters.action) &&
      (filters.from == null || at(e.occurred_at) >= at(filters.from)) &&
      (filters.to == null || at(e.occurred_at) < at(filters.to)),
  );
  // The contract's one total order: (occurred_at, created_at, id).
  const key = (e: TrackingEvent): [number, number, string] => [Date.parse(e.occurred_at), Date.parse(e.created_at), e.id];
  const ascending = [...matching].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0);
  });
  const ordered = filters.order === "desc" ? ascending.reverse() : ascending;
  const limit = filters.limit ?? 50;
  const offset = filters.offset ?? 0;
  return { items: ordered.slice(offset, offset + limit), total: matching.length, limit, offset };
}

function checkPage(page: Page<TrackingEvent>, all: TrackingEvent[], filters: AdminTrackingFilters): void {
  valid(validators.trackingEventPage, page);
  const expected = expectedPage(all, filters);
  expect(
    { ids: page.items.map((e) => e.id), total: page.total, limit: page.limit, offset: page.offset },
    JSON.stringify(filters),
  ).toEqual({ ids: expected.items.map((e) => e.id), total: expected.total, limit: expected.limit, offset: expected.offset });
  expect(page.items).toEqual(expected.items);
}

/** The audit lines of a user (`<log-dir>/tracking_user_<id>.log`, one JSON object a line), by event id. */
async function auditLines(userId: string): Promise<Map<string, Record<string, unknown>>> {
  const text = await readFile(join(running().logDir, `tracking_user_${userId}.log`), "utf8").catch(() => "");
  const lines = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return new Map(lines.map((line) => [String(line["tracking_event_id"]), line]));
}

/** The fields API.md promises in an audit line, taken from the event. */
function auditFields(event: TrackingEvent): Record<string, unknown> {
  const { id, user_id, child_id, entity_type, entity_id, action, points_before, points_after, delta, occurred_at } = event;
  return {
    tracking_event_id: id,
    ...{ user_id, child_id, entity_type, entity_id, action, points_before, points_after, delta, occurred_at },
  };
}

// ---- the family and what happens to it -----------------------------------------------------------

type Family = { user: User; api: ApiClient };
let alex: Family;
let blair: Family;
let sam: Child;
let robin: Child;
let kai: Child;
let makeBed: Task;
let shouting: Task;
let feedCat: Task;
let iceCream: Reward;
let sticker: Reward;

/** Every successful mutation, in the order applied: the answer, and whose family it was. */
type Step = {
  answer: TrackedMutation;
  family: "alex" | "blair";
};
const steps: Step[] = [];
const events = (filter: (step: Step) => boolean = () => true): TrackingEvent[] =>
  steps.filter(filter).map((s) => s.answer.tracking_event);
const alexEvents = () => events((s) => s.family === "alex");
const samEvents = () => events((s) => s.answer.child.id === sam.id);

/** What arrived on Alex's live stream. */
const received: { payload: TrackingEventCreated; meta: ServerEventMeta<"tracking_event_created"> }[] = [];
const problems: BackendEventProblem[] = [];
let opened = 0;

describe("against the real tracking-server", { timeout: 30_000 }, () => {
  it("answers GET /health without a token", async () => {
    // After a start the audit backlog counts the families whose files are not read back yet.
    await vi.waitFor(
      async () =>
        expect(valid(validators.health, await admin.health())).toEqual({
          status: "ok",
          tracking_backlog: 0,
          audit_backlog: 0,
        }),
      { timeout: WAIT_MS, interval: 20 },
    );
  });

  it("lets the admin create users, each with a parent token", async () => {
    const created = valid(validators.createdUser, await admin.adminCreateUser({ name: "Alex" }));
    expect(created.user.name).toBe("Alex");
    expect(created.token.length).toBeGreaterThan(0);
    alex = { user: created.user, api: createApiClient({ baseUrl: running().baseUrl, token: created.token }) };

    const other = valid(validators.createdUser, await admin.adminCreateUser({ name: "Blair" }));
    blair = { user: other.user, api: createApiClient({ baseUrl: running().baseUrl, token: other.token }) };

    const users = await admin.adminListUsers();
    for (const user of users) valid(validators.user, user);
    expect(users.map((u) => u.id).sort()).toEqual([alex.user.id, blair.user.id].sort());
    expect(valid(validators.me, await alex.api.me())).toEqual({ role: "parent", ...alex.user });

    // A parent's token does not reach /admin; an unknown token reaches nothing.
    await refused(alex.api.adminListTracking(), 403, "forbidden");
    await refused(alex.api.adminCreateUser({ name: "Mallory" }), 403, "forbidden");
    const stranger = createApiClient({ baseUrl: running().baseUrl, token: "0".repeat(64) });
    await refused(stranger.me(), 401, "unauthorized");
    await refused(stranger.adminListUsers(), 401, "unauthorized");
  });

  it("lets parents create children, a good task, a penalty and rewards", async () => {
    sam = valid(validators.child, await alex.api.createChild({ name: "Sam" }));
    expect(sam).toMatchObject({ user_id: alex.user.id, name: "Sam", points: 0 });
    robin = valid(validators.child, await alex.api.createChild({ name: "Robin" }));
    makeBed = valid(validators.task, await alex.api.createTask({ name: "Make bed", points: 5, is_good: true }));
    expect(makeBed).toMatchObject({ user_id: alex.user.id, name: "Make bed", points: 5, is_good: true });
    shouting = valid(validators.task, await alex.api.createTask({ name: "Shouting", points: 3, is_good: false }));
    expect(shouting).toMatchObject({ name: "Shouting", points: 3, is_good: false });
    iceCream = valid(validators.reward, await alex.api.createReward({ name: "Ice cream", cost: 10 }));
    expect(iceCream).toMatchObject({ user_id: alex.user.id, name: "Ice cream", cost: 10 });
    sticker = valid(validators.reward, await alex.api.createReward({ name: "Sticker", cost: 3 }));

    kai = valid(validators.child, await blair.api.createChild({ name: "Kai" }));
    feedCat = valid(validators.task, await blair.api.createTask({ name: "Feed the cat", points: 2, is_good: true }));

    expect(await alex.api.getChild(sam.id)).toEqual(sam);
    expect((await alex.api.listChildren()).map((c) => c.id).sort()).toEqual([sam.id, robin.id].sort());
    expect(await alex.api.getTask(shouting.id)).toEqual(shouting);
    expect((await alex.api.listTasks()).map((t) => t.id).sort()).toEqual([makeBed.id, shouting.id].sort());
    expect(await alex.api.getReward(iceCream.id)).toEqual(iceCream);
    expect((await alex.api.listRewards()).map((r) => r.id).sort()).toEqual([iceCream.id, sticker.id].sort());
    expect(await alex.api.listPendingRewardRequests(sam.id)).toEqual([]);

    // Another family's things are not found.
    await refused(blair.api.getChild(sam.id), 404, "not_found");
    await refused(alex.api.getTask(feedCat.id), 404, "not_found");
    await refused(alex.api.getChild("not-a-ulid"), 404, "not_found");
    await refused(alex.api.createTask({ name: "Huge", points: 0, is_good: true }), 400, "invalid_request", "points");
  });

  it("opens a live event stream with a one-time ticket", async () => {
    const asked = Date.now();
    const ticket = valid(validators.eventTicket, await alex.api.createEventTicket());
    const answered = Date.now();
    // Valid for 60 s (the server's clock is this machine's; 1 s of slack for the millisecond cut).
    expect(Date.parse(ticket.expires_at)).toBeGreaterThanOrEqual(asked + 59_000);
    expect(Date.parse(ticket.expires_at)).toBeLessThanOrEqual(answered + 61_000);

    // A ticket works once: the second stream opened with it is refused, and that is reported.
    const once: string[] = [];
    const onceProblems: BackendEventProblem[] = [];
    const first = openBackendEvents({
      baseUrl: alex.api.baseUrl,
      ticket: ticket.ticket,
      EventSource,
      handlers: {},
      onOpen: () => once.push("open"),
      onError: (problem) => onceProblems.push(problem),
    });
    await vi.waitFor(() => expect(once).toEqual(["open"]), { timeout: WAIT_MS, interval: 20 });
    first.close();
    const again = openBackendEvents({
      baseUrl: alex.api.baseUrl,
      ticket: ticket.ticket,
      EventSource,
      handlers: {},
      onOpen: () => once.push("open again"),
      onError: (problem) => onceProblems.push(problem),
    });
    await vi.waitFor(() => expect(onceProblems).toHaveLength(1), { timeout: WAIT_MS, interval: 20 });
    again.close();
    expect(onceProblems[0]).toMatchObject({ kind: "connection", readyState: 2 });
    expect(once).toEqual(["open"]);

    live = connectBackendEvents({
      api: alex.api,
      EventSource,
      reconnect: false,
      handlers: { tracking_event_created: (payload, meta) => received.push({ payload, meta }) },
      onOpen: () => {
        opened += 1;
      },
      onError: (problem) => problems.push(problem),
    });
    // The server subscribes the stream before it answers, so once open no event can be missed.
    await vi.waitFor(() => expect(opened).toBe(1), { timeout: WAIT_MS, interval: 20 });
    expect(problems).toEqual([]);
  });

  it("applies the four tracked mutations; a refusal changes nothing", async () => {
    const api = alex.api;
    let points = 0;

    /** A successful mutation: the answer, the child's points and the event's every field. */
    async function applied(
      mutation: Promise<TrackedMutation>,
      child: Child,
      entity: { type: EntityType; id: string; name: string },
      action: Action,
      delta: number,
      family: Family = alex,
    ): Promise<TrackedMutation> {
      const answer = valid(validators.trackedMutation, await mutation);
      const before = steps.filter((s) => s.answer.child.id === child.id).at(-1)?.answer.child.points ?? 0;
      const event = answer.tracking_event;
      expect(answer.child).toEqual({ ...child, points: before + delta });
      expect(event).toMatchObject({
        user_id: family.user.id,
        child_id: child.id,
        entity_type: entity.type,
        entity_id: entity.id,
        action,
        points_before: before,
        points_after: before + delta,
        delta,
      });
      expect(event.metadata?.["entity_name"]).toBe(entity.name);
      expect(Date.parse(event.created_at)).toBeGreaterThanOrEqual(Date.parse(event.occurred_at));
      const previous = steps.at(-1)?.answer.tracking_event;
      if (previous !== undefined) expect(event.id > previous.id, "ids grow with time").toBe(true);
      steps.push({ answer, family: family === alex ? "alex" : "blair" });
      if (child.id === sam.id) points = answer.child.points;
      return answer;
    }

    /** A refused mutation: the contract's error, and the child's points unchanged. */
    async function rejected(mutation: Promise<TrackedMutation>, code: ErrorCode, status = 409): Promise<void> {
      await refused(mutation, status, code);
      expect((await api.getChild(sam.id)).points).toBe(points);
    }

    const bed = { type: "task", id: makeBed.id, name: "Make bed" } as const;
    const penalty = { type: "penalty", id: shouting.id, name: "Shouting" } as const;
    const ice = { type: "reward", id: iceCream.id, name: "Ice cream" } as const;

    await applied(api.activateTask(sam.id, makeBed.id), sam, bed, "activated", 5); // 0 → 5
    await applied(api.activateTask(sam.id, makeBed.id), sam, bed, "activated", 5); // 5 → 10
    await applied(api.activateTask(sam.id, shouting.id), sam, penalty, "activated", -3); // 10 → 7
    await rejected(api.requestReward(sam.id, iceCream.id), "insufficient_points"); // 7 < 10
    await rejected(api.redeemReward(sam.id, iceCream.id), "insufficient_points");
    await applied(api.activateTask(sam.id, makeBed.id), sam, bed, "activated", 5); // 7 → 12

    const first = await applied(api.requestReward(sam.id, iceCream.id), sam, ice, "requested", 0);
    const pending = valid(validators.rewardRequest, first.reward_request!);
    expect(pending).toMatchObject({ child_id: sam.id, reward_id: iceCream.id, status: "pending", resolved_at: null });
    await rejected(api.requestReward(sam.id, iceCream.id), "already_requested");
    expect(await api.listPendingRewardRequests(sam.id)).toEqual([pending]);

    const cancelled = await applied(api.cancelReward(sam.id, iceCream.id), sam, ice, "cancelled", 0);
    expect(cancelled.reward_request).toMatchObject({ id: pending.id, status: "cancelled", requested_at: pending.requested_at });
    expect(cancelled.reward_request?.resolved_at).not.toBeNull();
    await rejected(api.cancelReward(sam.id, iceCream.id), "no_pending_request");
    expect(await api.listPendingRewardRequests(sam.id)).toEqual([]);

    // Another child of the family, and another family (whose event must not reach Alex's stream).
    await applied(api.activateTask(robin.id, makeBed.id), robin, bed, "activated", 5);
    await applied(
      blair.api.activateTask(kai.id, feedCat.id),
      kai,
      { type: "task", id: feedCat.id, name: "Feed the cat" },
      "activated",
      2,
      blair,
    );
    await rejected(blair.api.activateTask(sam.id, feedCat.id), "not_found", 404);
    await rejected(api.activateTask(sam.id, feedCat.id), "not_found", 404);

    const second = await applied(api.requestReward(sam.id, iceCream.id), sam, ice, "requested", 0);
    expect(second.reward_request?.id).not.toBe(pending.id);
    const redeemed = await applied(api.redeemReward(sam.id, iceCream.id), sam, ice, "redeemed", -10); // 12 → 2
    expect(redeemed.reward_request).toMatchObject({ id: second.reward_request?.id, status: "redeemed" });
    expect(redeemed.reward_request?.resolved_at).not.toBeNull();
    await rejected(api.cancelReward(sam.id, iceCream.id), "no_pending_request"); // a cancel after a redeem
    await rejected(api.redeemReward(sam.id, iceCream.id), "insufficient_points"); // 2 < 10

    await applied(api.activateTask(sam.id, shouting.id), sam, penalty, "activated", -3); // 2 → −1
    await applied(api.activateTask(sam.id, makeBed.id), sam, bed, "activated", 5); // −1 → 4
    // A redeem works without a request: no reward_request is involved.
    const direct = await applied(
      api.redeemReward(sam.id, sticker.id),
      sam,
      { type: "reward", id: sticker.id, name: "Sticker" },
      "redeemed",
      -3,
    ); // 4 → 1
    expect(direct.reward_request).toBeUndefined();

    expect(points).toBe(1);
    expect((await api.getChild(sam.id)).points).toBe(1);
    expect(await api.getChild(robin.id)).toEqual({ ...robin, points: 5 });
    expect((await blair.api.getChild(kai.id)).points).toBe(2);
    expect(await api.listPendingRewardRequests(sam.id)).toEqual([]);
    expect(steps.map((s) => s.answer.tracking_event.points_after)).toEqual([5, 10, 7, 12, 12, 12, 5, 2, 12, 2, -1, 4, 1]);
  });

  it("sends one tracking_event_created per mutation of the family over SSE, with the answers' ids", async () => {
    const expected = alexEvents();
    expect(expected).toHaveLength(12);
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(expected.length), {
      timeout: WAIT_MS,
      interval: 20,
    });
    // In order and nothing else: the last mutation was Alex's, so an event for a refusal or for
    // Blair's family would have arrived before it and shifted this list.
    expect(received.map((r) => r.payload)).toEqual(expected.map(createdPayload));
    // Each frame's id is an opaque resume cursor: printable, short, one per event.
    const cursors = received.map((r) => r.meta.lastEventId);
    expect(received.map((r) => r.meta.type)).toEqual(expected.map(() => "tracking_event_created"));
    expect(new Set(cursors).size).toBe(expected.length);
    for (const cursor of cursors) expect(cursor).toMatch(/^[\x21-\x7e]{1,128}$/);
    expect(problems).toEqual([]);
    expect(opened).toBe(1);
  });

  it("lists the child's tracking: the points chain, both orders, filters and paging", async () => {
    const api = alex.api;
    const all = samEvents();
    expect(all).toHaveLength(11);

    const page = await api.listChildTracking(sam.id);
    checkPage(page, all, {});
    expect(page.items[0]?.points_before).toBe(0);
    page.items.forEach((e, i) => {
      expect(e.delta).toBe(e.points_after - e.points_before);
      if (i > 0) expect(e.points_before).toBe(page.items[i - 1]?.points_after);
    });
    expect(page.items.at(-1)?.points_after).toBe((await api.getChild(sam.id)).points);

    const cases: ChildTrackingFilters[] = [
      { order: "asc" },
      { order: "desc" },
      { entity_type: "task" },
      { entity_type: "penalty" },
      { entity_type: "reward" },
      { action: "activated" },
      { action: "requested" },
      { action: "redeemed" },
      { action: "cancelled" },
      { entity_type: "reward", action: "redeemed", order: "desc" },
      { entity_type: "penalty", action: "requested" },
      { limit: 4, offset: 0 },
      { limit: 4, offset: 4 },
      { limit: 4, offset: 8 },
      { limit: 4, offset: 11 },
      { limit: 3, offset: 2, order: "desc" },
      { limit: 1 },
      { limit: 500, offset: 0 },
      { entity_type: "task", limit: 2, offset: 1, order: "desc" },
    ];
    for (const filters of cases) checkPage(await api.listChildTracking(sam.id, filters), all, filters);

    const byPage: TrackingEvent[] = [];
    for (let offset = 0; offset < all.length; offset += 4) {
      byPage.push(...(await api.listChildTracking(sam.id, { limit: 4, offset })).items);
    }
    expect(byPage).toEqual(all);

    // Time windows: from is inclusive, to exclusive; Dates, UTC strings and offset strings.
    const pivot = all[4]?.occurred_at ?? "";
    const later = all[8]?.occurred_at ?? "";
    const windows: ChildTrackingFilters[] = [
      { from: pivot },
      { from: new Date(pivot) },
      { to: pivot },
      { to: withOffset(pivot) },
      { from: withOffset(pivot), to: new Date(later), order: "desc" },
      { from: all[0]?.occurred_at ?? "", to: new Date(Date.parse(all.at(-1)?.occurred_at ?? "") + 1) },
      { from: new Date(Date.parse(all.at(-1)?.occurred_at ?? "") + 1) },
      { to: all[0]?.occurred_at ?? "" },
      { from: pivot, entity_type: "reward", action: "requested", limit: 1 },
    ];
    for (const filters of windows) checkPage(await api.listChildTracking(sam.id, filters), all, filters);
    expect((await api.listChildTracking(sam.id, { from: pivot })).total).toBeGreaterThan(0);
    expect((await api.listChildTracking(sam.id, { to: pivot })).total).toBeGreaterThan(0);

    // Another family's child is not found.
    await refused(blair.api.listChildTracking(sam.id), 404, "not_found");
  });

  it("refuses a bad tracking query with invalid_request naming the parameter", async () => {
    const api = alex.api;
    const bad: [ChildTrackingFilters, string][] = [
      [{ limit: 0 }, "limit"],
      [{ limit: 501 }, "limit"],
      [{ offset: -1 }, "offset"],
      [{ from: "yesterday" }, "from"],
      [{ to: "2026-02-09" }, "to"],
      [{ entity_type: "chore" as EntityType }, "entity_type"],
      [{ action: "deleted" as Action }, "action"],
      [{ order: "sideways" as SortOrder }, "order"],
    ];
    for (const [filters, field] of bad) await refused(api.listChildTracking(sam.id, filters), 400, "invalid_request", field);
    await refused(admin.adminListTracking({ limit: 0 }), 400, "invalid_request", "limit");
  });

  it("sums the child's history, ranks the family, and streams the exports", async () => {
    const api = alex.api;
    const all = samEvents();
    const added = { earned: 0, lost: 0, spent: 0 };
    for (const e of all) {
      if (e.entity_type === "task") added.earned += e.delta;
      if (e.entity_type === "penalty") added.lost -= e.delta;
      if (e.action === "redeemed") added.spent -= e.delta;
    }
    const summary = await api.getChildSummary(sam.id, { tz: "America/Los_Angeles", bucket: "day" });
    expect(summary.points).toBe((await api.getChild(sam.id)).points);
    expect({ earned: summary.totals.earned, lost: summary.totals.lost, spent: summary.totals.spent }).toEqual(added);
    expect(summary.totals.tasks_activated + summary.totals.penalties_activated).toBe(
      all.filter((e) => e.action === "activated").length,
    );
    expect((summary.buckets ?? []).reduce((sum, b) => sum + b.earned, 0)).toBe(added.earned);
    expect(await admin.adminGetChildSummary(sam.id, { tz: "America/Los_Angeles", bucket: "day" })).toEqual(summary);

    const ranking = await api.getFamilyRanking();
    expect(ranking.children.map((c) => c.child_id).sort()).toEqual(
      (await api.listChildren()).map((c) => c.id).sort(),
    );
    expect(ranking.children[0]?.rank).toBe(1);
    await refused(api.getChildSummary(sam.id, { tz: "Mars/Olympus_Mons" }), 400, "invalid_request", "tz");

    // Every event of the child, in order, as it arrives; and the same as a download.
    const streamed: TrackingEvent[] = [];
    for await (const event of api.iterateChildTracking(sam.id)) streamed.push(event);
    expect(streamed).toEqual(all);
    const adminStreamed: TrackingEvent[] = [];
    for await (const event of admin.adminIterateTracking({ child_id: sam.id, order: "desc" })) adminStreamed.push(event);
    expect(adminStreamed).toEqual([...all].reverse());
    const download = await api.exportChildTracking(sam.id, "csv");
    expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename="tracking-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows = (await download.text()).trimEnd().split("\r\n");
    expect(rows).toHaveLength(all.length + 1);
    await refused(blair.api.exportChildTracking(sam.id, "ndjson"), 404, "not_found");
  });

  it("answers the admin query with child_id and user_id filters, and gets one event", async () => {
    const all = events();
    expect(all).toHaveLength(13);
    const cases: AdminTrackingFilters[] = [
      {},
      { order: "desc" },
      { child_id: sam.id },
      { child_id: robin.id },
      { child_id: kai.id },
      { user_id: alex.user.id },
      { user_id: blair.user.id },
      { user_id: alex.user.id, child_id: kai.id },
      { user_id: alex.user.id, child_id: robin.id },
      { user_id: alex.user.id, entity_type: "reward", order: "desc", limit: 2 },
      { child_id: sam.id, action: "activated", limit: 2, offset: 3 },
      { user_id: blair.user.id, from: all[0]?.occurred_at ?? "" },
    ];
    for (const filters of cases) checkPage(await admin.adminListTracking(filters), all, filters);

    for (const event of all) expect(valid(validators.trackingEvent, await admin.adminGetTrackingEvent(event.id))).toEqual(event);
    await refused(admin.adminGetTrackingEvent("01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "not_found");
    await refused(admin.adminGetTrackingEvent("not-a-ulid"), 404, "not_found");
    await refused(alex.api.adminGetTrackingEvent(all[0]?.id ?? ""), 403, "forbidden");
  });

  it("keeps a deleted child's events, unchanged, for the admin", async () => {
    const api = alex.api;
    const all = events();
    expect(await api.deleteChild(sam.id)).toBeUndefined();
    await refused(api.getChild(sam.id), 404, "not_found");
    await refused(api.listChildTracking(sam.id), 404, "not_found");
    await refused(api.listPendingRewardRequests(sam.id), 404, "not_found");
    await refused(api.activateTask(sam.id, makeBed.id), 404, "not_found");
    expect((await api.listChildren()).map((c) => c.id)).toEqual([robin.id]);

    // Deleting the task and the reward leaves their records as they were, too.
    expect(await api.deleteTask(makeBed.id)).toBeUndefined();
    expect(await api.deleteReward(iceCream.id)).toBeUndefined();
    await refused(api.getTask(makeBed.id), 404, "not_found");
    await refused(api.getReward(iceCream.id), 404, "not_found");

    checkPage(await admin.adminListTracking({ child_id: sam.id }), all, { child_id: sam.id });
    checkPage(await admin.adminListTracking({ user_id: alex.user.id }), all, { user_id: alex.user.id });
    checkPage(await admin.adminListTracking({}), all, {});
    checkPage(await api.listChildTracking(robin.id), all, { child_id: robin.id });
    const last = samEvents().at(-1)!;
    expect(await admin.adminGetTrackingEvent(last.id)).toEqual(last);
  });

  it("nulls user_id when the user is deleted, keeps every other field, and removes its audit files", async () => {
    // Alex's stream ends with the user; close it first so the helper does not report that.
    live?.close();
    expect(live?.closed).toBe(true);
    expect(problems).toEqual([]);

    // The audit lines are written in the background: wait until every event of each user is there.
    for (const [userId, mine] of [
      [alex.user.id, alexEvents()],
      [blair.user.id, events((s) => s.family === "blair")],
    ] as const) {
      const ids = mine.map((e) => e.id).sort();
      await vi.waitFor(async () => expect([...(await auditLines(userId)).keys()].sort()).toEqual(ids), {
        timeout: WAIT_MS,
        interval: 50,
      });
      const lines = await auditLines(userId);
      for (const event of mine) expect(lines.get(event.id)).toMatchObject(auditFields(event));
    }

    expect(await admin.adminDeleteUser(alex.user.id)).toBeUndefined();
    expect((await admin.adminListUsers()).map((u) => u.id)).toEqual([blair.user.id]);
    await refused(alex.api.me(), 401, "unauthorized");
    await refused(alex.api.listChildren(), 401, "unauthorized");
    await refused(alex.api.createEventTicket(), 401, "unauthorized");

    const anonymized = steps.map((s) =>
      s.family === "alex" ? { ...s.answer.tracking_event, user_id: null } : s.answer.tracking_event,
    );
    checkPage(await admin.adminListTracking(), anonymized, {});
    checkPage(await admin.adminListTracking({ child_id: sam.id }), anonymized, { child_id: sam.id });
    checkPage(await admin.adminListTracking({ child_id: robin.id }), anonymized, { child_id: robin.id });
    checkPage(await admin.adminListTracking({ user_id: blair.user.id }), anonymized, { user_id: blair.user.id });
    const gone = await admin.adminListTracking({ user_id: alex.user.id });
    expect({ items: gone.items, total: gone.total }).toEqual({ items: [], total: 0 });
    for (const event of anonymized) expect(await admin.adminGetTrackingEvent(event.id)).toEqual(event);

    const files = await readdir(running().logDir);
    expect(files.filter((f) => f.startsWith(`tracking_user_${alex.user.id}.log`))).toEqual([]);
    expect(files).toContain(`tracking_user_${blair.user.id}.log`);
    await vi.waitFor(
      async () =>
        expect(valid(validators.health, await admin.health())).toEqual({
          status: "ok",
          tracking_backlog: 0,
          audit_backlog: 0,
        }),
      { timeout: WAIT_MS, interval: 20 },
    );
  });

  it("resumes a dropped stream and one cut by a restart from its last cursor: every event once", async () => {
    /** A real EventSource whose connection the test can drop, as a network failure would. */
    const sources: Droppable[] = [];
    class Droppable implements EventSourceLike {
      readonly url: string;
      private readonly inner: EventSource;
      private readonly errorListeners: ((event: Event) => void)[] = [];
      private dropped = false;
      constructor(url: string) {
        this.url = url;
        this.inner = new EventSource(url);
        sources.push(this);
      }
      get readyState(): number {
        return this.dropped ? 0 : this.inner.readyState;
      }
      addEventListener(type: string, listener: (event: Event) => void): void {
        if (type === "error") this.errorListeners.push(listener);
        this.inner.addEventListener(type, (event) => {
          if (!this.dropped) listener(event);
        });
      }
      close(): void {
        this.inner.close();
      }
      drop(): void {
        this.dropped = true;
        this.inner.close();
        for (const listener of this.errorListeners) listener(new Event("error"));
      }
    }

    const got: string[] = [];
    const cursors: string[] = [];
    const resets: unknown[] = [];
    const stream = connectBackendEvents({
      api: blair.api,
      EventSource: Droppable,
      reconnect: { initialDelayMs: 300 },
      handlers: {
        tracking_event_created: (payload, meta) => {
          got.push(payload.tracking_event_id);
          cursors.push(meta.lastEventId);
        },
        tracking_stream_reset: (payload) => resets.push(payload),
      },
      onError: () => {},
    });
    try {
      await vi.waitFor(() => expect(sources[0]?.readyState).toBe(1), { timeout: WAIT_MS, interval: 20 });
      const recorded: string[] = [];
      const activate = async () => {
        const answer = valid(validators.trackedMutation, await blair.api.activateTask(kai.id, feedCat.id));
        recorded.push(answer.tracking_event.id);
      };
      await activate();
      await vi.waitFor(() => expect(got).toEqual(recorded), { timeout: WAIT_MS, interval: 20 });

      // The connection drops; three events are recorded before the client is back.
      sources[0]?.drop();
      await Promise.all([activate(), activate(), activate()]);
      await vi.waitFor(() => expect(got).toHaveLength(4), { timeout: WAIT_MS, interval: 20 });
      expect(sources).toHaveLength(2);
      expect(sources[1]?.url).toContain(`&last_event_id=${encodeURIComponent(cursors[0] ?? "")}`);

      // And once more, live after the replay.
      await activate();
      await vi.waitFor(() => expect(got).toHaveLength(5), { timeout: WAIT_MS, interval: 20 });

      // The server is killed and restarted on the same port and directories; two events are
      // recorded before the client's retry finds it again.
      server = await running().restart(START_TIMEOUT_MS);
      await Promise.all([activate(), activate()]);
      await vi.waitFor(() => expect(got).toHaveLength(7), { timeout: WAIT_MS, interval: 20 });
      expect(sources.length).toBeGreaterThanOrEqual(3);
      await new Promise((done) => setTimeout(done, 300));
      expect(new Set(got).size).toBe(7);
      expect([...got].sort()).toEqual([...recorded].sort());
      expect(new Set(cursors).size).toBe(7);
      for (const cursor of cursors) expect(cursor).toMatch(/^[\x21-\x7e]{1,128}$/);
      expect(resets).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it("records one event for a POST retried with its key after the answer was lost", async () => {
    const created = valid(validators.createdUser, await admin.adminCreateUser({ name: "Casey" }));
    const casey = createApiClient({ baseUrl: running().baseUrl, token: created.token });
    const jo = valid(validators.child, await casey.createChild({ name: "Jo" }));
    const dishes = valid(validators.task, await casey.createTask({ name: "Dishes", points: 4, is_good: true }));
    // A network that delivers the first request to the server and loses its answer.
    const sent: { key: string | null; replayed: string | null }[] = [];
    const flaky = createApiClient({
      baseUrl: running().baseUrl,
      token: created.token,
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        sent.push({ key: new Headers(init?.headers).get("Idempotency-Key"), replayed: response.headers.get("Idempotent-Replayed") });
        if (sent.length === 1) {
          await response.text();
          throw new TypeError("the connection was lost");
        }
        return response;
      },
      retry: { retries: 3, baseDelayMs: 10 },
    });
    const answer = valid(validators.trackedMutation, await flaky.activateTask(jo.id, dishes.id));
    expect(answer.child.points).toBe(4);
    expect(sent).toHaveLength(2);
    expect(sent[0]?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1]).toEqual({ key: sent[0]?.key, replayed: "true" });
    const page = await casey.listChildTracking(jo.id);
    expect(page.total).toBe(1);
    expect(page.items[0]).toEqual(answer.tracking_event);
    expect((await casey.getChild(jo.id)).points).toBe(4);
  });
});

describe("a child's own device", { timeout: 30_000 }, () => {
  it("lets a child token request a reward and refuses it an activation", async () => {
    const created = valid(validators.createdUser, await admin.adminCreateUser({ name: "Casey" }));
    const parent = createApiClient({ baseUrl: running().baseUrl, token: created.token });
    const jo = valid(validators.child, await parent.createChild({ name: "Jo" }));
    const chore = valid(validators.task, await parent.createTask({ name: "Water plants", points: 4, is_good: true }));
    const book = valid(validators.reward, await parent.createReward({ name: "Book", cost: 8 }));
    await parent.activateTask(jo.id, chore.id);
    await parent.activateTask(jo.id, chore.id);

    const issued = valid(validators.childToken, await parent.createChildToken(jo.id));
    expect(issued.child_id).toBe(jo.id);
    const device = createApiClient({ baseUrl: running().baseUrl, token: issued.token });
    const me = valid(validators.me, await device.me());
    expect(me).toEqual({ role: "child", child: { ...jo, points: 8 } });
    expect(await device.listChildren()).toEqual([{ ...jo, points: 8 }]);

    const requested = valid(validators.trackedMutation, await device.requestReward(jo.id, book.id));
    expect(requested.tracking_event.metadata).toMatchObject({ actor: "child", entity_name: "Book", cost: 8 });
    expect(requested.tracking_event.user_id).toBe(created.user.id);
    await refused(device.activateTask(jo.id, chore.id), 403, "forbidden");
    await refused(device.redeemReward(jo.id, book.id), 403, "forbidden");
    await refused(device.createTask({ name: "Mine", points: 1, is_good: true }), 403, "forbidden");
    await refused(device.createChildToken(jo.id), 403, "forbidden");

    const history = await parent.listChildTracking(jo.id, { order: "asc" });
    expect(history.items.map((event) => event.metadata?.actor)).toEqual(["parent", "parent", "child"]);
    expect(await parent.listPendingRewardRequests(jo.id)).toHaveLength(1);

    await parent.revokeChildTokens(jo.id);
    await refused(device.me(), 401, "unauthorized");
  });
});
