import type { QueueDriver } from './drivers/contract.js';
import type { Keyring } from './encryption.js';
import type { JobEventEmitter } from './events.js';
import type { JobRegistry } from './registry.js';
import type { JobMiddleware } from './worker/run-job.js';

/** What a plugin may reach of the dispatcher it is given (no import of the dispatcher needed). */
export interface PluginHost {
  readonly events: JobEventEmitter;
  readonly registry: JobRegistry;
  /** The payload keys, so a plugin can read encrypted payloads it is allowed to. */
  readonly keys: Keyring;
  driver(): Promise<QueueDriver>;
  use(middleware: JobMiddleware): unknown;
}

/** Extends every dispatcher it is given: adds middleware, listens to events. */
export type DispatcherPlugin = (host: PluginHost) => void;

/**
 * Plugins every new dispatcher installs before the middleware of its own options. Built-in
 * features that the dispatcher must not import (the activity log imports the global
 * dispatcher, which imports the dispatcher) add themselves here when their module loads.
 */
export const defaultPlugins: DispatcherPlugin[] = [];
