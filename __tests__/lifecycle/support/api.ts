/** Talks to the fake directly, as a person with the Cloud Console or `hcloud` CLI would. */
import type { FakeHcloud } from '../fake-hcloud';

/** One API call; returns the status and the parsed body. */
export async function api(
  fake: FakeHcloud,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${fake.endpoint}${path}`, {
    method,
    headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
