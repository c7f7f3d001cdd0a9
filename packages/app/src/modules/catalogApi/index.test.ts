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
      statusText: { 400: 'Bad Request', 403: 'Forbidden', 502: 'Bad Gateway' }[
        status
      ],
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

  it("leaves an answer that is not JSON (a proxy's page), and any other error, as they are", async () => {
    const page = await answer(502, '<html>Bad gateway</html>', 'text/html');
    expect(page.message).toBe('Request failed with 502 Bad Gateway');
    expect((withServerMessage(page) as Error).message).toBe(
      'Request failed with 502 Bad Gateway',
    );
    const other = new Error('offline');
    expect(withServerMessage(other)).toBe(other);
    expect(other.message).toBe('offline');
  });
});
