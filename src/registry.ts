import { closestName } from './did-you-mean.js';
import { InvalidJobError, JobNameConflictError, UnknownJobError } from './errors.js';
import type { Job, JobClass } from './job.js';
import { assignSafely } from './payload.js';
import { assertJobName } from './validation.js';

/** Maps stable job names to classes; the worker never loads code named by stored data. */
export class JobRegistry {
  private readonly classes = new Map<string, JobClass>();

  constructor(private readonly fallback?: JobRegistry) {}

  register(classes: JobClass | Iterable<JobClass>): void {
    for (const cls of classList(classes)) {
      const name = assertJobName(nameOfClass(cls));
      // The global registry counts too: a dispatcher's class must not shadow another one's name.
      const existing = this.classes.get(name) ?? this.fallback?.get(name);
      if (existing && !sameClass(existing, cls)) {
        throw new JobNameConflictError(
          'DUPLICATE_JOB_NAME',
          `Two job classes answer to the name '${name}' (${existing.name} and ${cls.name}): give one a different jobName()`,
        );
      }
      this.classes.set(name, cls);
    }
  }

  /**
   * Makes sure that `name` (a dispatched job's `jobName()`) finds `cls` again on a worker:
   * registers the class when the name is free, refuses the job when another class has it.
   */
  claim(name: string, cls: JobClass): void {
    if (this.get(name) === undefined) this.register([cls]);
    const owner = this.get(name);
    if (owner !== undefined && sameClass(owner, cls)) return;
    if (owner === undefined) {
      throw new JobNameConflictError(
        'JOB_NAME_UNSTABLE',
        `${cls.name}.jobName() returned '${name}' for this job but '${nameOfClass(cls)}' for the class: jobName() must not depend on the job's fields`,
      );
    }
    throw new JobNameConflictError(
      'JOB_NAME_TAKEN',
      `The job name '${name}' is registered to the class ${owner.name}, not to ${cls.name}: a worker would run ${owner.name}.handle() with this job's payload. Give ${cls.name} its own jobName()`,
    );
  }

  get(name: string): JobClass | undefined {
    return this.classes.get(name) ?? this.fallback?.get(name);
  }

  names(): string[] {
    return [...new Set([...this.classes.keys(), ...(this.fallback?.names() ?? [])])].sort();
  }

  /** Rebuilds a job from its stored payload; throws `UnknownJobError` when the name is not registered. */
  instantiate(name: string, payload: unknown): Job {
    const cls = this.get(name);
    if (!cls) {
      const near = closestName(name, this.names());
      throw new UnknownJobError(
        'UNKNOWN_JOB',
        `No job class is registered as '${name}'${near ? ` (did you mean '${near}'?)` : ''}: add it with registerJobs([${name}]) or to the jobs list of jobwright.config.ts, then retry the job`,
      );
    }
    if (typeof cls.deserialize === 'function') return cls.deserialize(payload);
    // The constructor is not called (its arguments are unknown); the stored fields are restored.
    return assignSafely(Object.create(cls.prototype) as Job, payload);
  }
}

/**
 * One class loaded twice (by the config loader and by the app, say) is one class: the same
 * name, the same source text and, when it names one, the same module (`static module`).
 * Only a different class under a registered name is refused.
 */
function sameClass(a: JobClass, b: JobClass): boolean {
  if (a === b) return true;
  const moduleOf = (cls: JobClass) => (cls as unknown as { module?: unknown }).module;
  return (
    a.name === b.name &&
    moduleOf(a) === moduleOf(b) &&
    Function.prototype.toString.call(a) === Function.prototype.toString.call(b)
  );
}

/** The name a class registers under: its prototype's `jobName()`, which defaults to the class name. */
function nameOfClass(cls: JobClass): string {
  const probe = Object.create(cls.prototype) as Job;
  try {
    return probe.jobName();
  } catch {
    return cls.name;
  }
}

export const globalRegistry = new JobRegistry();

/** Registers job classes for every dispatcher in this process. */
export function registerJobs(classes: JobClass | Iterable<JobClass>): void {
  globalRegistry.register(classes);
}

/** `register(MyJob)` and `register([A, B])` both work; anything that is not a class is refused by name. */
function classList(classes: JobClass | Iterable<JobClass>): JobClass[] {
  const list =
    typeof classes === 'function'
      ? [classes]
      : classes !== null && typeof classes === 'object' && Symbol.iterator in classes
        ? [...classes]
        : [classes];
  for (const cls of list) {
    if (typeof cls !== 'function' || typeof cls.prototype !== 'object' || cls.prototype === null) {
      throw new InvalidJobError(
        'NOT_A_JOB_CLASS',
        `register() takes job classes (subclasses of Job), one or a list of them; got ${describe(cls)}`,
      );
    }
  }
  return list;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `the function ${value.name || '(anonymous)'}, which is not a class`;
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `a ${typeof value}`;
}
