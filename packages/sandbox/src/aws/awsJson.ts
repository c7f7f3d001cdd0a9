/**
 * The AWS JSON 1.1 protocol as the fault layer speaks it: the parsed bodies
 * it reads and rewrites, and the answers it gives in AWS's own shape so
 * that SDK clients surface them like real ones.
 */

/** The `Content-Type` of Organizations requests and answers. */
export const JSON_11 = 'application/x-amz-json-1.1';

/** A parsed JSON object: a request's input or an answer's body. */
export type Json = Record<string, unknown>;

/** An answer to one Organizations call. */
export interface Reply {
  status: number;
  body: Json;
  headers?: Record<string, string>;
}

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An AWS error answer, e.g. `400 TooManyRequestsException`. */
export function awsError(status: number, type: string, message: string): Reply {
  return {
    status,
    body: { __type: type, Message: message },
    headers: { 'x-amzn-errortype': type },
  };
}

/**
 * The access key id from a SigV4 `Authorization` header
 * (`AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...`).
 */
export function accessKeyIdFrom(
  authorization: string | undefined,
): string | undefined {
  return authorization
    ? /Credential=([^/,\s]+)\//.exec(authorization)?.[1]
    : undefined;
}
