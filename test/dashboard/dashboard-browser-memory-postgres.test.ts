import { dashboardBrowserSuites } from './browser-suite.js';

/** The dashboard in Chromium on the memory and PostgreSQL stores (SQLite and Redis: the other file). */
await dashboardBrowserSuites(['memory', 'postgres']);
