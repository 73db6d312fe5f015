/**
 * Errors as the Hetzner Cloud API returns them: an HTTP status plus the body
 * `{"error": {"code", "message", "details"}}` (hcloud-go `schema.ErrorResponse`). The codes are
 * hcloud-go's `ErrorCode` constants, so the provider reacts to them exactly as to the real API
 * (for example it retries `rate_limit_exceeded` and `conflict`, and treats `not_found` on read as
 * "gone").
 */

/** An API error the fake answers with; thrown anywhere in a handler. */
export class ApiError extends Error {
  constructor(
    /** HTTP status code. */
    public readonly status: number,
    /** hcloud error code, e.g. `uniqueness_error`. */
    public readonly code: string,
    message: string,
    /** Code-specific details (`invalid_input` lists the offending fields). */
    public readonly details: unknown = null,
  ) {
    super(message);
  }

  /** The JSON body of the answer. */
  body(): unknown {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** 404 `not_found` for a missing resource. */
export function notFound(kind: string, id: string | number): ApiError {
  return new ApiError(404, 'not_found', `${kind} with ID '${id}' not found`);
}

/** 422 `invalid_input` naming the field, as the real API does. */
export function invalidInput(field: string, message: string): ApiError {
  return new ApiError(422, 'invalid_input', `invalid input in field '${field}'`, {
    fields: [{ name: field, messages: [message] }],
  });
}

/** 409 `uniqueness_error` for a name (or key) that is already taken. */
export function notUnique(field: string, value: string): ApiError {
  return new ApiError(409, 'uniqueness_error', `${field} is already used: ${value}`, {
    fields: [{ name: field }],
  });
}
