import { dashboardBrowserSuites } from './browser-suite.js';

/**
 * The dashboard in Chromium on Redis, one file per store so the three run side by side. The
 * memory store's pages are the same views over the same contract; its data goes through the
 * dashboard's API tests (dashboard-api.test.ts) on every store, memory included.
 */
await dashboardBrowserSuites(['redis']);
