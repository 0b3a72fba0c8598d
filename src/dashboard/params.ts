import { JOB_STATUSES, type JobStatus } from '../drivers/contract.js';
import { assertQueueName } from '../validation.js';

/**
 * Every list parameter the dashboard accepts, whitelisted and clamped here, so a hand-made URL
 * can neither ask the store for a million rows nor pass an unknown status or sort through.
 */

/** A request parameter that is not one the dashboard accepts; answered with 400. */
export class BadParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = 'BadParamError';
  }
}

/** A job or page that does not exist; answered with 404. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export const PAGE_SIZES = [10, 25, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
const MAX_PAGE = 100_000;
const MAX_SEARCH = 200;
const MAX_ID = 64;

export type Order = 'newest' | 'oldest';

export interface ListQuery {
  queue: string | undefined;
  status: JobStatus | undefined;
  search: string | undefined;
  limit: number;
  page: number;
  offset: number;
  order: Order;
}

type Raw = string | undefined;

function wholeNumber(name: string, raw: Raw, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw new BadParamError(name, `${name} must be a whole number`);
  return Math.min(max, Math.max(min, Number(raw)));
}

export function parseQueue(raw: Raw): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    return assertQueueName(raw);
  } catch (error) {
    throw new BadParamError('queue', (error as Error).message);
  }
}

export function parseStatus(raw: Raw): JobStatus | undefined {
  if (raw === undefined || raw === '' || raw === 'all') return undefined;
  if (!(JOB_STATUSES as readonly string[]).includes(raw)) {
    throw new BadParamError('status', `status must be one of ${JOB_STATUSES.join(', ')}`);
  }
  return raw as JobStatus;
}

export function parseOrder(raw: Raw): Order {
  if (raw === undefined || raw === '' || raw === 'newest') return 'newest';
  if (raw === 'oldest') return 'oldest';
  throw new BadParamError('order', 'order must be newest or oldest');
}

export function parseSearch(raw: Raw): string | undefined {
  const text = raw?.trim();
  return text ? text.slice(0, MAX_SEARCH) : undefined;
}

/** A job id from a path: ULIDs are 26 characters; anything long or odd finds nothing. */
export function parseJobId(raw: Raw): string {
  if (!raw || raw.length > MAX_ID || !/^[A-Za-z0-9_-]+$/.test(raw)) {
    throw new BadParamError('id', 'not a job id');
  }
  return raw;
}

export function parseMinutes(raw: Raw): number {
  return wholeNumber('minutes', raw, 60, 5, 24 * 60);
}

/** limit/offset (API) or page (pages) from a query; the offset is derived from the page when given. */
export function parseListQuery(get: (name: string) => Raw): ListQuery {
  const limit = wholeNumber('limit', get('limit'), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
  const pageRaw = get('page');
  let page: number;
  let offset: number;
  if (pageRaw !== undefined && pageRaw !== '') {
    page = wholeNumber('page', pageRaw, 1, 1, MAX_PAGE);
    offset = (page - 1) * limit;
  } else {
    offset = wholeNumber('offset', get('offset'), 0, 0, MAX_PAGE * MAX_PAGE_SIZE);
    page = Math.floor(offset / limit) + 1;
  }
  return {
    queue: parseQueue(get('queue')),
    status: parseStatus(get('status')),
    search: parseSearch(get('q') ?? get('search')),
    limit,
    page,
    offset,
    order: parseOrder(get('order') ?? get('sort')),
  };
}

/** `?window=hour|day` of the metric tables; hour when absent. */
export function parseWindow(raw: Raw): 'hour' | 'day' {
  if (raw === undefined || raw === '' || raw === 'hour') return 'hour';
  if (raw === 'day') return 'day';
  throw new BadParamError('window', "window must be 'hour' or 'day'");
}

/** A job class name from the URL: 1 to 255 characters, no control characters. */
export function parseJobName(raw: Raw): string {
  if (raw === undefined || raw.length === 0 || raw.length > 255 || hasControlCharacter(raw)) {
    throw new BadParamError('name', 'A job class name has 1 to 255 characters and no control characters.');
  }
  return raw;
}

/** An error group's fingerprint (12 hex digits, from the failed page's forms). */
export function parseGroup(raw: Raw): string {
  if (raw === undefined || !/^[0-9a-f]{12}$/.test(raw)) {
    throw new BadParamError('group', 'Which error group? The form sent no valid group id.');
  }
  return raw;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
