import { MAX_TIMER_MS } from './time-rules.js';

/**
 * `setTimeout` for any delay: Node fires a timer past 2^31-1 ms at once, so a long wait is
 * taken in steps. Returns the function that cancels it.
 */
export function setLongTimeout(fn: () => void, ms: number, options: { unref?: boolean } = {}): () => void {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const due = Date.now() + ms;
  const step = () => {
    const left = Math.max(0, due - Date.now());
    timer = setTimeout(
      () => {
        if (cancelled) return;
        if (Date.now() >= due) fn();
        else step();
      },
      Math.min(left, MAX_TIMER_MS),
    );
    if (options.unref) timer.unref();
  };
  step();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
