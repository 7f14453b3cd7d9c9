// Turns what a client call rejected with into one line a page can show.

import { isApiRequestError } from "@family-chores/frontend-bindings";

/** What the page shows of a failed call: the contract's code and status for an `ApiRequestError`. */
export type ShownError = {
  /** `"ApiRequestError"` for an answer of the server, else the error's name (e.g. `TypeError` for a network failure). */
  kind: string;
  status: number | null;
  code: string | null;
  message: string;
};

export function describeError(error: unknown): ShownError {
  if (isApiRequestError(error)) {
    return { kind: error.name, status: error.status, code: error.code, message: error.message };
  }
  if (error instanceof Error) return { kind: error.name, status: null, code: null, message: error.message };
  return { kind: "unknown", status: null, code: null, message: String(error) };
}
