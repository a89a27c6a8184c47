/**
 * A transport's two timers: `beat` every `heartbeatMs`, and `dropSilent` ten times per failure timeout
 * (at most every 100 ms, at least every 10), so that a silent node is dropped soon after its timeout.
 * Returns the function that stops both.
 */
export function heartbeatTimers(timing: { readonly heartbeatMs: number; readonly failureTimeoutMs: number }, beat: () => void, dropSilent: () => void): () => void {
  const heartbeat = setInterval(beat, timing.heartbeatMs);
  const detector = setInterval(dropSilent, Math.max(10, Math.min(100, Math.floor(timing.failureTimeoutMs / 10))));
  return () => {
    clearInterval(heartbeat);
    clearInterval(detector);
  };
}
