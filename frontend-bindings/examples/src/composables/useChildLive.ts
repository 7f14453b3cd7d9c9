// A child's points and latest history, kept live: fetched once, then updated from the server's
// `tracking_event_created` events (`connectBackendEvents`, which resumes from the last event it
// received when it reconnects), and fetched again whenever a stream opens or the server sends
// `tracking_stream_reset` (it could not resume, or does not replay).

import {
  connectBackendEvents,
  type ApiClient,
  type Child,
  type ChildId,
  type TrackingEvent,
  type TrackingEventCreated,
} from "@family-chores/frontend-bindings";
import { onScopeDispose, ref, shallowRef, type Ref } from "vue";

import { describeError, type ShownError } from "../describeError";

/** `connecting` until the first stream opens; `reconnecting` while a dropped one is retried. */
export type LiveStatus = "connecting" | "live" | "reconnecting" | "stopped";

export type ChildLive = {
  child: Ref<Child | null>;
  /** The child's points: from the last live event, or from the last fetch. */
  points: Ref<number | null>;
  /** The newest `historyLimit` tracking events, newest first. */
  history: Ref<TrackingEvent[]>;
  /** The live events this view received for the child, newest first. */
  received: Ref<TrackingEventCreated[]>;
  status: Ref<LiveStatus>;
  /** The last problem of a fetch or of the stream (the stream retries by itself). */
  problem: Ref<ShownError | null>;
  /** Fetches the child and its history again. */
  refresh: () => Promise<void>;
};

/**
 * Call it in a component's `setup`: the stream closes and pending fetches abort when the component
 * unmounts (`onScopeDispose`).
 */
export function useChildLive(api: ApiClient, childId: ChildId, historyLimit = 10): ChildLive {
  const child = ref<Child | null>(null);
  const points = ref<number | null>(null);
  const history = shallowRef<TrackingEvent[]>([]);
  const received = shallowRef<TrackingEventCreated[]>([]);
  const status = ref<LiveStatus>("connecting");
  const problem = ref<ShownError | null>(null);
  const stop = new AbortController();

  // One fetch at a time; a request for another while one runs fetches once more afterwards, so
  // the last fetch always starts after the last event seen and the view ends up current.
  let running: Promise<void> | undefined;
  let again = false;
  async function fetchOnce(): Promise<void> {
    const signal = stop.signal;
    const [fresh, page] = await Promise.all([
      api.getChild(childId, { signal }),
      api.listChildTracking(childId, { order: "desc", limit: historyLimit }, { signal }),
    ]);
    child.value = fresh;
    points.value = fresh.points;
    history.value = page.items;
  }
  function refresh(): Promise<void> {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await fetchOnce();
        } catch (error) {
          if (!stop.signal.aborted) problem.value = describeError(error);
        }
      } while (again && !stop.signal.aborted);
      running = undefined;
    })();
    return running;
  }

  const stream = connectBackendEvents({
    api,
    reconnect: { initialDelayMs: 250, maxDelayMs: 2000 },
    handlers: {
      tracking_event_created(event) {
        if (event.child_id !== childId) return; // the stream carries the whole family's events
        received.value = [event, ...received.value].slice(0, 50);
        points.value = event.points_after; // at once, without waiting for the fetch
        void refresh();
      },
      tracking_stream_reset() {
        void refresh(); // the server could not resume from our cursor: events may have been missed
      },
    },
    onOpen() {
      status.value = "live";
      problem.value = null;
      void refresh();
    },
    onError(issue) {
      if (issue.kind === "connection" || issue.kind === "ticket_failed") status.value = "reconnecting";
      problem.value = { kind: issue.kind, status: null, code: null, message: issue.message };
    },
  });
  void refresh();

  onScopeDispose(() => {
    stream.close();
    stop.abort();
    status.value = "stopped";
  });

  return { child, points, history, received, status, problem, refresh };
}
