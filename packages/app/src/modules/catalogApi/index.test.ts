import { ResponseError } from '@backstage/errors';
import { withServerMessage } from './index';

/** A ResponseError as the catalog client makes it from an answer. */
function answer(
  status: number,
  body: string,
  contentType = 'application/json',
) {
  return ResponseError.fromResponse(
    new Response(body, {
      status,
      statusText: status === 403 ? 'Forbidden' : 'Bad Request',
      headers: { 'content-type': contentType },
    }) as any,
  );
}

describe('withServerMessage', () => {
  it("gives a ResponseError the server's message, keeping its status", async () => {
    const error = await answer(
      403,
      JSON.stringify({
        error: {
          name: 'NotAllowedError',
          message: 'holds entities your teams do not own',
        },
        response: { statusCode: 403 },
      }),
    );
    expect(error.message).toBe('Request failed with 403 Forbidden');
    const explained = withServerMessage(error) as ResponseError;
    expect(explained).toBe(error);
    expect(explained.message).toBe('holds entities your teams do not own');
    expect(explained.statusCode).toBe(403);
  });

  it("gives an answer that is not the server's JSON error what it said, and leaves other errors as they are", async () => {
    const plain = await answer(400, 'not json', 'text/plain');
    expect(plain.message).toBe('Request failed with 400 Bad Request');
    expect((withServerMessage(plain) as Error).message).toBe(
      'Request failed with status 400 Bad Request, not json',
    );
    const other = new Error('offline');
    expect(withServerMessage(other)).toBe(other);
    expect(other.message).toBe('offline');
  });
});
