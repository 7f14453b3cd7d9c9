// Type tests. They bite in `tsc --noEmit` (the first half of `npm test`): every
// `@ts-expect-error` below must meet a real error, so if a type were `any` (or too loose) the
// directive would be unused and the build would fail. The `expect` calls at run time show what
// the compile-time rules protect against.

import { describe, expect, expectTypeOf, it } from "vitest";

import { ApiRequestError } from "../src/api";
import type { AdminTrackingFilters, ApiClient, ChildTrackingFilters } from "../src/api";
import { SERVER_EVENT_TYPES } from "../src/backendEvents";
import type { EventSourceConstructor, ServerEventHandlers, ServerEventPayloads } from "../src/backendEvents";
import type {
  ApiError,
  Bucket,
  Child,
  ChildToken,
  ChildSummary,
  EntityType,
  ErrorBody,
  ErrorCode,
  ErrorDetails,
  EventTicket,
  ExportFormat,
  Me,
  Page,
  RankedChild,
  RewardRequest,
  ServerEventType,
  SummaryQuery,
  TrackedMutation,
  TrackingEvent,
  TrackingEventCreated,
} from "../src/index";
import { errorCode, errorDetails, oneOf, record, string, trackingEventCreated, ulid } from "../src/validate";
import type { Validator } from "../src/validate";
import taskActivated from "../../fixtures/events/task_activated.json";
import type { JsonShape } from "./support/jsonShape";

const event: TrackingEvent = {
  id: "01JKZ8Q4V3X9T7M2N5P6R8S0AB",
  user_id: null,
  child_id: "01JKZ8N0P1Q2R3S4T5V6W7X8YZ",
  entity_type: "task",
  entity_id: "01JKZ8P9A8B7C6D5E4F3G2H1JK",
  action: "activated",
  points_before: 10,
  points_after: 15,
  delta: 5,
  occurred_at: "2026-02-09T18:42:15.123Z",
  created_at: "2026-02-09T18:42:15.125Z",
  metadata: null,
};
const child: Child = { id: event.child_id, user_id: "01JKZ8M1C2D3E4F5G6H7J8K9MN", name: "Sam", points: 15, created_at: event.created_at };

describe("the generated models are real types, not any", () => {
  it("rejects wrong enum values, missing fields and wrong field types", () => {
    // @ts-expect-error "chore" is not an EntityType
    const wrongEntity: TrackingEvent = { ...event, entity_type: "chore" };
    // @ts-expect-error "deleted" is not an Action
    const wrongAction = { ...event, action: "deleted" } satisfies TrackingEvent;
    // @ts-expect-error points are numbers, never strings
    const wrongDelta: TrackingEvent = { ...event, delta: "5" };
    // @ts-expect-error user_id is required (null when the user is deleted), not optional
    const noUser: TrackingEvent = {
      id: event.id,
      child_id: event.child_id,
      entity_type: "penalty",
      entity_id: event.entity_id,
      action: "activated",
      points_before: 0,
      points_after: -3,
      delta: -3,
      occurred_at: event.occurred_at,
      created_at: event.created_at,
      metadata: null,
    };
    const { delta: _delta, ...withoutDelta } = event;
    // @ts-expect-error delta is missing
    const missingDelta: TrackingEvent = withoutDelta;

    // @ts-expect-error "done" is not a RewardRequestStatus
    const wrongStatus: RewardRequest = { id: "r", child_id: "c", reward_id: "w", status: "done", requested_at: "", resolved_at: null };
    // @ts-expect-error tracking_event is missing
    const noEvent: TrackedMutation = { child };
    // @ts-expect-error with exactOptionalPropertyTypes an absent reward_request is not `undefined`
    const undefinedRequest: TrackedMutation = { child, tracking_event: event, reward_request: undefined };
    // @ts-expect-error "oops" is not an ErrorCode
    const wrongCode: ErrorBody = { error: { code: "oops", message: "m" } };
    // @ts-expect-error details needs its field
    const noField: ErrorBody = { error: { code: "invalid_request", message: "m", details: {} } };
    // @ts-expect-error the items of a Page<TrackingEvent> are TrackingEvents
    const wrongItems: Page<TrackingEvent> = { items: [child], total: 1, limit: 50, offset: 0 };
    // @ts-expect-error entity_type of the SSE payload is an EntityType
    const wrongPayload: TrackingEventCreated = { ...trackingEventCreatedSample(), entity_type: "chore" };

    // What those would be at run time: things the validators refuse.
    expect(trackingEventCreated.is(wrongPayload)).toBe(false);
    expect([wrongEntity, wrongAction, wrongDelta, noUser, missingDelta].map((e) => typeof e)).toEqual(
      Array(5).fill("object"),
    );
    expect([wrongStatus, noEvent, undefinedRequest, wrongCode, noField, wrongItems]).toHaveLength(6);
  });

  it("a JSON import cannot `satisfies` a type with enums, but `JsonShape` is not vacuous either", () => {
    // @ts-expect-error a JSON import types "task" as string, so this can never compile (see README)
    const direct = taskActivated satisfies TrackingEvent;
    const shaped = taskActivated satisfies JsonShape<TrackingEvent>;
    const { delta: _d, ...noDelta } = taskActivated;
    // @ts-expect-error a fixture without delta does not have the shape
    const missing = noDelta satisfies JsonShape<TrackingEvent>;
    // @ts-expect-error a fixture with delta as a string does not have the shape
    const stringly = { ...taskActivated, delta: "5" } satisfies JsonShape<TrackingEvent>;
    // @ts-expect-error user_id may be null but not a number
    const numeric = { ...taskActivated, user_id: 7 } satisfies JsonShape<TrackingEvent>;
    expect([direct, shaped, missing, stringly, numeric].every((d) => typeof d === "object")).toBe(true);
  });
});

describe("the summary types", () => {
  const totals = {
    earned: 40,
    lost: 6,
    spent: 22,
    tasks_activated: 9,
    penalties_activated: 2,
    rewards_requested: 3,
    rewards_redeemed: 2,
    rewards_cancelled: 1,
  };
  const summary: ChildSummary = {
    child_id: event.child_id,
    points: 12,
    from: null,
    to: null,
    tz: "UTC",
    totals,
    good_share: 40 / 46,
  };

  it("buckets are optional, good_share may be null, bucket is day, week or month", () => {
    const bucketed: ChildSummary = {
      ...summary,
      good_share: null,
      buckets: [{ start: "2026-02-09T00:00:00.000Z", earned: 10, lost: 0, spent: 5 }],
    };
    // @ts-expect-error good_share is a number or null, never a string
    const stringShare: ChildSummary = { ...summary, good_share: "0.87" };
    // @ts-expect-error totals need every count
    const noCounts: ChildSummary = { ...summary, totals: { earned: 1, lost: 0, spent: 0 } };
    const query: SummaryQuery = { from: "2026-03-08", tz: "America/Los_Angeles", bucket: "week" };
    // @ts-expect-error "year" is not a Bucket
    const yearly: SummaryQuery = { bucket: "year" };
    // @ts-expect-error a ranked child has a rank
    const unranked: RankedChild = { child_id: event.child_id, name: "Sam", points: 1, totals, good_share: null };
    const buckets: Bucket[] = ["day", "week", "month"];
    const formats: ExportFormat[] = ["ndjson", "csv"];
    // @ts-expect-error "xlsx" is not an ExportFormat
    const spreadsheet: ExportFormat = "xlsx";
    expect([...formats, spreadsheet]).toHaveLength(3);
    expect(bucketed.buckets).toHaveLength(1);
    expect([stringShare, noCounts, query, yearly, unranked].every((v) => typeof v === "object")).toBe(true);
    expect(buckets).toHaveLength(3);
    expectTypeOf<ChildSummary["good_share"]>().toEqualTypeOf<number | null>();
  });
});

function trackingEventCreatedSample(): TrackingEventCreated {
  return {
    tracking_event_id: event.id,
    child_id: event.child_id,
    entity_type: "task",
    entity_id: event.entity_id,
    action: "activated",
    delta: 5,
    points_after: 15,
    occurred_at: event.occurred_at,
  };
}

describe("the validators are typed against the models", () => {
  it("refuses a schema that does not match the type", () => {
    // @ts-expect-error every field must be checked
    const noFields = record<ErrorDetails>("ErrorDetails", {});
    // @ts-expect-error no field the type does not have
    const extraField = record<ErrorDetails>("ErrorDetails", { field: string, line: string });
    // @ts-expect-error a plain string check cannot vouch for an ErrorCode
    const looseCode = record<ApiError>("ApiError", { code: string, message: string });
    // @ts-expect-error an optional field is checked with optional(...)
    const requiredDetails = record<ApiError>("ApiError", { code: errorCode, message: string, details: errorDetails });
    // @ts-expect-error oneOf must list every member of the union
    const partialEnum = oneOf<EntityType>({ task: true, reward: true });
    // @ts-expect-error and only members of it
    const extraEnum = oneOf<EntityType>({ task: true, reward: true, penalty: true, chore: true });
    // @ts-expect-error a Validator<string> is not a Validator<EntityType>
    const widened: Validator<EntityType> = ulid;

    // What each would let through at run time.
    expect(noFields.is({})).toBe(true);
    expect(looseCode.is({ error: "x", code: "oops", message: "m" })).toBe(true);
    expect(partialEnum.is("penalty")).toBe(false);
    expect([extraField, requiredDetails, extraEnum, widened]).toHaveLength(4);
  });
});

describe("the client's signatures", () => {
  it("returns the contract's types and refuses wrong arguments", () => {
    expectTypeOf<ApiClient["activateTask"]>().returns.resolves.toEqualTypeOf<TrackedMutation>();
    expectTypeOf<ApiClient["requestReward"]>().returns.resolves.toEqualTypeOf<TrackedMutation>();
    expectTypeOf<ApiClient["redeemReward"]>().returns.resolves.toEqualTypeOf<TrackedMutation>();
    expectTypeOf<ApiClient["cancelReward"]>().returns.resolves.toEqualTypeOf<TrackedMutation>();
    expectTypeOf<ApiClient["listChildTracking"]>().returns.resolves.toEqualTypeOf<Page<TrackingEvent>>();
    expectTypeOf<ApiClient["adminListTracking"]>().returns.resolves.toEqualTypeOf<Page<TrackingEvent>>();
    expectTypeOf<ApiClient["adminGetTrackingEvent"]>().returns.resolves.toEqualTypeOf<TrackingEvent>();
    expectTypeOf<ApiClient["createEventTicket"]>().returns.resolves.toEqualTypeOf<EventTicket>();
    expectTypeOf<ApiClient["me"]>().returns.resolves.toEqualTypeOf<Me>();
    expectTypeOf<ApiClient["createChildToken"]>().returns.resolves.toEqualTypeOf<ChildToken>();
    expectTypeOf<ApiClient["revokeChildTokens"]>().returns.resolves.toEqualTypeOf<void>();
    expectTypeOf<ApiClient["deleteChild"]>().returns.resolves.toEqualTypeOf<void>();
    expectTypeOf<ApiRequestError["code"]>().toEqualTypeOf<ErrorCode>();

    const ok: AdminTrackingFilters = {
      child_id: event.child_id,
      entity_type: "penalty",
      from: new Date(),
      to: "2026-02-10T00:00:00+01:00",
      limit: undefined,
      order: null,
    };
    // @ts-expect-error child_id is for the admin route only
    const childScoped: ChildTrackingFilters = { child_id: event.child_id };
    // @ts-expect-error "chore" is not an EntityType
    const wrongFilter: ChildTrackingFilters = { entity_type: "chore" };
    // @ts-expect-error from is a Date or an RFC 3339 string
    const numericFrom: ChildTrackingFilters = { from: 1739126535123 };
    // @ts-expect-error "newest" is not a SortOrder
    const wrongOrder: AdminTrackingFilters = { order: "newest" };
    expect([ok, childScoped, wrongFilter, numericFrom, wrongOrder]).toHaveLength(5);

    const error = new ApiRequestError({
      status: 409,
      code: "already_requested",
      message: "m",
      request: "POST /x",
      fromContract: true,
      responseText: "",
    });
    // @ts-expect-error only the contract's codes
    const wrongErrorCode: ErrorCode = "teapot";
    expect([error.code, wrongErrorCode]).toEqual(["already_requested", "teapot"]);
  });
});

describe("the server event types", () => {
  it("map each registered type to its payload", () => {
    expectTypeOf<keyof ServerEventPayloads>().toEqualTypeOf<ServerEventType>();
    expectTypeOf<ServerEventPayloads["tracking_event_created"]>().toEqualTypeOf<TrackingEventCreated>();
    expectTypeOf(SERVER_EVENT_TYPES).toEqualTypeOf<readonly ServerEventType[]>();
    // The browser's EventSource fits the injectable constructor.
    expectTypeOf<typeof EventSource>().toExtend<EventSourceConstructor>();

    const seen: number[] = [];
    const handlers: ServerEventHandlers = {
      tracking_event_created: (payload, meta) => {
        expectTypeOf(payload).toEqualTypeOf<TrackingEventCreated>();
        expectTypeOf(meta.type).toEqualTypeOf<"tracking_event_created">();
        seen.push(payload.points_after);
        // @ts-expect-error the payload has no such field
        seen.push(payload.points_before);
      },
    };
    // @ts-expect-error no such event type
    const unknownType: ServerEventHandlers = { tracking_event_deleted: () => {} };
    handlers.tracking_event_created?.(trackingEventCreatedSample(), { type: "tracking_event_created", lastEventId: "" });
    expect(seen).toEqual([15, undefined]);
    expect(unknownType).toBeTypeOf("object");
  });
});
