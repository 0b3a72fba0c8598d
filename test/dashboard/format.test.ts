import { describe, expect, test } from 'vitest';
import { barChart } from '../../src/dashboard/chart.js';
import { formatDuration, prettyPayload, splitError } from '../../src/dashboard/format.js';
import { BadParamError, parseListQuery } from '../../src/dashboard/params.js';

describe('dashboard formatting and parameters', () => {
  test('durations never show 60 s or 60 min', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(1800)).toBe('1.8 s');
    expect(formatDuration(59_600)).toBe('1 min 0 s');
    expect(formatDuration(239_700)).toBe('4 min 0 s');
    expect(formatDuration(3_599_700)).toBe('1 h 0 min');
    expect(formatDuration(3 * 86_400_000)).toBe('3 d 0 h');
  });

  test('payloads pretty-print; damaged ones show as they are', () => {
    expect(prettyPayload({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyPayload('{not json')).toBe('{not json');
  });

  test('the stored error splits into message and stack', () => {
    expect(splitError('Error: boom\n    at x')).toEqual({
      message: 'Error: boom',
      stack: 'Error: boom\n    at x',
    });
    expect(splitError('just text')).toEqual({ message: 'just text', stack: null });
  });

  test('list parameters: defaults, clamps and refusals', () => {
    const q = (params: Record<string, string>) => parseListQuery((name) => params[name]);
    expect(q({})).toMatchObject({ limit: 25, page: 1, offset: 0, order: 'newest' });
    expect(q({ limit: '500', page: '3' })).toMatchObject({ limit: 100, page: 3, offset: 200 });
    expect(q({ limit: '10', offset: '35' })).toMatchObject({ page: 4, offset: 35 });
    expect(q({ status: 'all' }).status).toBeUndefined();
    expect(q({ q: `  ${'y'.repeat(300)} ` }).search).toHaveLength(200);
    const refused: Array<Record<string, string>> = [
      { status: 'gone' },
      { order: 'id' },
      { limit: '1e9' },
      { queue: '<b>' },
      { page: '-1' },
    ];
    for (const bad of refused) {
      expect(() => q(bad)).toThrow(BadParamError);
    }
  });

  test('the chart draws one bar per minute and escapes nothing it should not', async () => {
    const minute = (i: number) => new Date(Date.UTC(2026, 0, 1, 10, i));
    const buckets = Array.from({ length: 60 }, (_, i) => ({
      minute: minute(i),
      completed: i % 5,
      failed: 0,
    }));
    const svg = String(await barChart(buckets, { title: 'Throughput <x>', field: 'completed', tone: 'ok' }));
    expect(svg.match(/<rect class="bar /g)).toHaveLength(60);
    // The time axis is labelled every 10 minutes, on whole clock times; each bar has its hover value.
    expect([...svg.matchAll(/class="label x"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual([
      '10:00',
      '10:10',
      '10:20',
      '10:30',
      '10:40',
      '10:50',
    ]);
    expect(svg).toContain('<title>10:07 UTC: 2 completed</title>');
    expect(svg).toContain('Throughput &lt;x&gt;');
    expect(svg).toContain('120 in all');
    expect(svg).toContain('>5</text>');
  });
});
