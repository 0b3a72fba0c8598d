import type { NewJob } from '../drivers/contract.js';

/** A chain link waiting for the job before it: a stored job spec whose id was made at `chain()`. */
export type ChainLink = Omit<NewJob, 'meta' | 'availableAt'> & { availableAt: string | null };

/** Engine metadata kept with a job. */
export interface JobMeta {
  chain?: ChainLink[];
  /** Trace context saved at dispatch (W3C traceparent and friends). */
  trace?: Record<string, string>;
}

export function parseMeta(text: string | null): JobMeta {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JobMeta) : {};
  } catch {
    return {};
  }
}

/** Meta as stored: null when it holds nothing (no chain left, no trace), so plain jobs carry none. */
export function encodeMeta(meta: JobMeta): string | null {
  const { chain, ...rest } = meta;
  const hasRest = Object.values(rest).some((value) => value !== undefined);
  return chain?.length || hasRest ? JSON.stringify(meta) : null;
}

export function toLink(job: NewJob): ChainLink {
  const { meta: _meta, availableAt, ...rest } = job;
  return { ...rest, availableAt: availableAt ? availableAt.toISOString() : null };
}

/** The job that follows a completed one in its chain, carrying the rest of the chain. */
export function nextInChain(meta: JobMeta): NewJob[] {
  const [head, ...rest] = meta.chain ?? [];
  if (!head) return [];
  return [
    {
      ...head,
      availableAt: head.availableAt ? new Date(head.availableAt) : null,
      meta: encodeMeta({ ...meta, chain: rest }),
    },
  ];
}
