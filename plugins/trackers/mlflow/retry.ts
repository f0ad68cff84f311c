/**
 * Retry policy for calls to the tracking server: jittered exponential backoff, bounded in
 * attempts and in the longest single wait.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (0: try once). */
  maxRetries: number;
  /** Ceiling of the first wait; each later ceiling doubles. */
  initialDelayMs: number;
  /** No single wait exceeds this. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, initialDelayMs: 500, maxDelayMs: 10_000 };

/** HTTP statuses worth retrying: timeout, rate limit, server errors. Other 4xx are final. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Wait before retry number `retry` (0-based): "equal jitter", half of the exponential ceiling
 * plus a random part of the other half, so that clients restarting together spread out while
 * every wait still grows. A server's Retry-After (seconds) is honoured up to `maxDelayMs`.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random, retryAfterS?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** retry);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  if (retryAfterS !== undefined && Number.isFinite(retryAfterS) && retryAfterS > 0) {
    return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterS * 1000));
  }
  return jittered;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
