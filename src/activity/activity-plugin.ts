import { type DispatcherPlugin, defaultPlugins } from '../dispatcher-plugins.js';
import { activityMiddleware } from './activity-middleware.js';
import { logLostAttempts } from './lost-attempts.js';

/**
 * The activity log as a dispatcher plugin: runs every ActivityLoggedJob through its logging, and
 * closes the history of attempts whose worker died. Installed on every dispatcher by default
 * (below), so activity logging needs no setup; the dispatcher itself does not import it.
 */
export const activityPlugin: DispatcherPlugin = (host) => {
  host.use(activityMiddleware(() => host.driver()));
  logLostAttempts(host.events, host.registry, () => host.driver(), host.keys);
};

if (!defaultPlugins.includes(activityPlugin)) defaultPlugins.push(activityPlugin);
