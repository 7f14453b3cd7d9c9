// The public surface of the frontend bindings.

export type * from "./models";

export {
  ApiRequestError,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  createApiClient,
  isApiRequestError,
  ndjsonEvents,
  retryDelayMs,
  summaryQueryString,
  trackingQueryString,
  type AdminExportFilters,
  type RetryOptions,
  type AdminTrackingFilters,
  type ApiClient,
  type ApiClientOptions,
  type ChildExportFilters,
  type ChildTrackingFilters,
  type RankingFilters,
  type SummaryFilters,
  type FetchLike,
  type RequestOptions,
  type TimeBound,
} from "./api";

export {
  SERVER_EVENT_TYPES,
  SERVER_EVENTS,
  connectBackendEvents,
  eventsUrl,
  isServerEventType,
  openBackendEvents,
  type BackendEventProblem,
  type BackendEventStream,
  type ConnectBackendEventsOptions,
  type EventSourceConstructor,
  type EventSourceLike,
  type OpenBackendEventsOptions,
  type ReconnectOptions,
  type ServerEventHandlers,
  type ServerEventMeta,
  type ServerEventPayloads,
} from "./backendEvents";

/** Runtime checks of the server's JSON documents, written against the generated types. */
export * as validators from "./validate";
export { ValidationError, assertValid, type CheckOptions, type Validated, type Validator } from "./validate";
