// A recording stand-in for `fetch`.

import type { FetchLike } from "../../src/api";

export type RecordedCall = {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The request body as sent (a string), or `undefined`. */
  body: unknown;
  signal: AbortSignal | undefined;
};

/** Answers each request with the next queued response, recording what was asked. */
export function fakeFetch(...queue: Response[]): { fetch: FetchLike; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    calls.push({
      url,
      method: init?.method ?? "GET",
      headers,
      body: init?.body ?? undefined,
      signal: init?.signal ?? undefined,
    });
    const next = queue.shift();
    if (next === undefined) throw new Error(`unexpected request ${url}`);
    return next;
  };
  return { fetch, calls };
}

/** A JSON answer. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A text answer (not JSON). */
export function text(status: number, body: string, contentType = "text/html"): Response {
  return new Response(body, { status, headers: { "Content-Type": contentType } });
}

/** `204 No Content`. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}
