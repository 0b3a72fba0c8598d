import { describe, expect, it } from 'vitest';
import { MissingDependencyError } from '../../src/index.js';
import { loadPromClient } from '../../src/metrics/job-metrics.js';
import { loadOtelApi } from '../../src/tracing/job-tracing.js';

const notFound = (name: string) => () =>
  Promise.reject(Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' }));

describe('optional peers', () => {
  it('names the package to install when prom-client or @opentelemetry/api is missing', async () => {
    await expect(loadPromClient(notFound('prom-client'))).rejects.toThrow(MissingDependencyError);
    await expect(loadPromClient(notFound('prom-client'))).rejects.toThrow(/npm install prom-client@\^15/);
    await expect(loadOtelApi(notFound('@opentelemetry/api'))).rejects.toThrow(
      /npm install @opentelemetry\/api@\^1.9/,
    );
  });

  it('enableTracing({ ifInstalled: true }) resolves true when the API is present', async () => {
    const { JobDispatcher, MemoryQueueDriver, enableTracing } = await import('../../src/index.js');
    const d = new JobDispatcher(new MemoryQueueDriver());
    expect(await enableTracing(d, { ifInstalled: true })).toBe(true);
    await d.close();
  });

  it('passes other load errors through, and loads the installed packages', async () => {
    await expect(loadPromClient(() => Promise.reject(new SyntaxError('broken')))).rejects.toThrow(
      SyntaxError,
    );
    expect(typeof (await loadPromClient()).Registry).toBe('function');
    expect(typeof (await loadOtelApi()).trace.getTracer).toBe('function');
  });
});
