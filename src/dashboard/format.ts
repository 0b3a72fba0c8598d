/** How the pages show times, durations and payloads. */

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  // Round once, then split, so that 59.6 s never shows as "0 min 60 s".
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${total % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function formatTime(date: Date | null | undefined): string {
  if (!date) return '—';
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

/** "3 min ago" / "in 20 s", relative to the server's now. */
export function formatAgo(date: Date | null | undefined, now = Date.now()): string {
  if (!date) return '';
  const diff = date.getTime() - now;
  if (Math.abs(diff) < 1000) return 'now';
  return diff < 0 ? `${formatDuration(-diff)} ago` : `in ${formatDuration(diff)}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** The payload as indented JSON; a damaged payload (kept as raw text) is shown as it is. */
export function prettyPayload(payload: unknown): string {
  if (typeof payload === 'string') {
    try {
      return JSON.stringify(JSON.parse(payload), null, 2);
    } catch {
      return payload;
    }
  }
  try {
    return JSON.stringify(payload, null, 2) ?? String(payload);
  } catch {
    return String(payload);
  }
}

/** A one-line preview of a payload for tables. */
export function payloadPreview(payload: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? '');
  } catch {
    text = String(payload);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The stored error text is the stack: its first line is the message, the rest the frames. */
export function splitError(text: string | null): { message: string; stack: string | null } {
  if (!text) return { message: '', stack: null };
  const newline = text.indexOf('\n');
  if (newline === -1) return { message: text, stack: null };
  return { message: text.slice(0, newline), stack: text };
}
