/**
 * A fetch for BrainClient that shows a test each exchange on the wire (the client always passes a URL string and a
 * JSON string body). `observe` may throw, e.g. to lose an answer the server did send.
 */
export function tappedFetch(
  observe: (url: string, init: RequestInit & { body?: string }, response: Response) => void,
): typeof fetch {
  const tapped = async (url: string, init: RequestInit & { body?: string } = {}): Promise<Response> => {
    const response = await fetch(url, init);
    observe(url, init, response);
    return response;
  };
  return tapped as unknown as typeof fetch;
}

/** The ids of a `POST /v1/agents/{id}/acks` the server answered 200, else none. */
export function acknowledgedIds(url: string, init: { body?: string }, response: Response): string[] {
  if (!url.endsWith('/acks') || response.status !== 200 || init.body === undefined) return [];
  return (JSON.parse(init.body) as { ids: string[] }).ids;
}
