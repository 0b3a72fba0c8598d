import { dashboardBrowserSuites } from './browser-suite.js';

/** The dashboard in Chromium on the SQLite and Redis stores (memory and PostgreSQL: the other file). */
await dashboardBrowserSuites(['sqlite', 'redis']);
