import { InvalidJobError } from './errors.js';

/**
 * Job methods named in SPEC.md's second release that a later version adds: a field of that name
 * would hide them too, so it is refused now rather than broken by an upgrade.
 */
const RESERVED_METHOD_NAMES = new Set(['group', 'middleware', 'uniqueId', 'uniqueFor']);

/** Whether `key` is a method somewhere on `job`'s class chain (Job's own, or the subclass's). */
function isMethodOf(job: object, key: string): boolean {
  for (let proto = Object.getPrototypeOf(job); proto && proto !== Object.prototype; ) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, key);
    if (descriptor) return typeof descriptor.value === 'function';
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

/**
 * Refuses a job whose own field hides one of its methods (`constructor(public priority = 1)`
 * hides `priority()`): dispatch would call the field, or the worker would, far from the cause.
 */
export function assertNoHiddenMethods(job: object): void {
  for (const [key, value] of Object.entries(job)) {
    // A function put on the instance overrides the method on purpose; only data hides one.
    if (typeof value === 'function') continue;
    if (RESERVED_METHOD_NAMES.has(key) || isMethodOf(job, key)) {
      const className = job.constructor?.name || 'the job';
      throw new InvalidJobError(
        'FIELD_HIDES_METHOD',
        `${className} has a field "${key}" that hides the Job method ${key}(): rename the field (for example "${key}Value"); nothing was stored`,
      );
    }
  }
}
