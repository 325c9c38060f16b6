/** Clients that left an SSE turn before its end, read from a server's (or a pool's aggregated) metrics. */
export async function sseDisconnects(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = /^parley_turn_disconnects_total\{transport="sse"\} (\d+)/m.exec(metrics);
  return Number(line?.[1] ?? 0);
}

/** Polls an observed condition until it holds; the test's own timeout bounds the wait. */
export async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}
