// The dashboard's public API (package subpath 'jobwright/dashboard'): re-exports only.
export { createDashboard, type Dashboard, type DashboardOptions } from './app.js';
export type { Overview, QueueOverview } from './data.js';
export type { Authorize } from './security.js';
export {
  DEFAULT_DASHBOARD_PORT,
  type RunningDashboard,
  type StartDashboardOptions,
  startDashboard,
} from './server.js';
