import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { InvalidJobError } from '../../errors.js';
import { type CliContext, println } from '../context.js';
import { fileNameOf, jobTemplate } from '../job-template.js';
import { CONFIG_EXAMPLE, type Project } from '../project.js';
import { reservedNameClash } from '../reserved-names.js';

interface MakeJobOptions {
  sync?: boolean;
  dir?: string;
}

export function registerMakeJob(program: Command, ctx: CliContext): void {
  const examples = `
Examples:
  $ artisan make:job ProcessPaymentJob        writes src/app/jobs/process-payment-job.ts
  $ artisan make:job ResizeImage --sync       shouldQueue() returns false: runs inline at dispatch
  $ artisan make job SendEmailJob             the seed's spelling
  $ artisan make:job ImportCsv --dir src/jobs

The folder is the config's jobsDir (default src/app/jobs). An existing file is never overwritten.`;
  program
    .command('make:job')
    .description('Write a new job class with every method of Job, ready to fill in')
    .argument('<name>', 'class name, e.g. SendEmailJob (send-email-job also works)')
    .option('--sync', 'make shouldQueue() return false: the job runs inline at dispatch')
    .option('--dir <folder>', 'folder to write to (default: the config jobsDir, else src/app/jobs)')
    .addHelpText('after', examples)
    .action((name: string, options: MakeJobOptions) => makeJob(ctx, name, options));

  // `artisan make job Name`, the seed's form.
  program
    .command('make')
    .description('make job <name>: the same as make:job')
    .argument('<kind>', 'what to make: job')
    .argument('<name>', 'class name')
    .option('--sync', 'make shouldQueue() return false')
    .option('--dir <folder>', 'folder to write to')
    .addHelpText('after', examples)
    .action((kind: string, name: string, options: MakeJobOptions) => {
      if (kind !== 'job') {
        throw new InvalidJobError('UNKNOWN_KIND', `artisan make ${kind}: only 'make job <Name>' exists`);
      }
      return makeJob(ctx, name, options);
    });
}

/** `send-email_job` → `SendEmailJob`; a name that cannot be a class is an error. */
export function classNameOf(input: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(input)) {
    throw new InvalidJobError(
      'INVALID_CLASS_NAME',
      `'${input}' cannot be a class name: use letters and digits, starting with a letter (e.g. SendEmailJob)`,
    );
  }
  const name = input
    .split(/[-_]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
  if (name === 'Job')
    throw new InvalidJobError('INVALID_CLASS_NAME', `'Job' is the base class: pick another name`);
  const clash = reservedNameClash(name);
  if (clash) {
    throw new InvalidJobError(
      'RESERVED_CLASS_NAME',
      `'${name}' is taken by ${clash}: a job class of that name would hide it in its file and not type-check. Pick another name, e.g. ${name}Job`,
    );
  }
  return name;
}

async function makeJob(ctx: CliContext, input: string, options: MakeJobOptions): Promise<void> {
  const className = classNameOf(input);
  // Only the folder is needed: do not import the user's jobs (one of them may be half written).
  const project = await ctx.project({ loadJobs: false });
  const dir = options.dir ? resolve(ctx.cwd, options.dir) : project.jobsDir;
  const file = join(dir, `${fileNameOf(className)}.ts`);
  const shown = relative(ctx.cwd, file) || file;
  if (existsSync(file)) {
    throw new InvalidJobError(
      'FILE_EXISTS',
      `${shown} already exists: nothing was written (pick another name or delete it)`,
    );
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, jobTemplate(className, { sync: Boolean(options.sync) }), { flag: 'wx' });
  println(
    ctx,
    `${ctx.colors.green('Created')} ${shown} (${className}${options.sync ? ', runs inline' : ''})`,
  );
  println(ctx, registration(ctx, project, className, file));
}

/** Registers the class where that is safe, and otherwise says exactly what to write. */
function registration(ctx: CliContext, project: Project, className: string, file: string): string {
  if (project.jobsDirConfigured && isInside(file, project.jobsDir)) {
    return `Registered: the config's jobsDir (${relative(ctx.cwd, project.jobsDir) || '.'}) loads every job in it.`;
  }
  const importPath = importPathOf(project.root, file);
  if (project.configFile && /\.m?ts$/.test(project.configFile)) {
    const source = readFileSync(project.configFile, 'utf8');
    const updated = appendToJobsList(source, className, importPath);
    if (updated) {
      writeFileSync(project.configFile, updated);
      return `Registered: added ${className} to the jobs list of ${relative(ctx.cwd, project.configFile)}.`;
    }
  }
  const where = project.configFile ? relative(ctx.cwd, project.configFile) : 'jobwright.config.ts';
  const rel = relative(project.root, dirname(file)).split(sep).join('/');
  return [
    `To register it, in ${where} either set the jobs folder:`,
    `  jobsDir: '${rel}',`,
    'or import the class and list it:',
    `  import { ${className} } from '${importPath}';`,
    `  jobs: [${className}],`,
    ...(project.configFile ? [] : ['', 'A whole config file looks like this:', CONFIG_EXAMPLE]),
  ].join('\n');
}

function isInside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}

function importPathOf(root: string, file: string): string {
  const rel = relative(root, file).split(sep).join('/').replace(/\.ts$/, '.js');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * Adds the class to a `jobs: [A, B]` list when the file has exactly one such list made of
 * plain names; returns null (touch nothing) for anything less simple.
 */
export function appendToJobsList(source: string, className: string, importPath: string): string | null {
  const lists = [...source.matchAll(/\bjobs\s*:\s*\[([^\]]*)\]/g)];
  if (lists.length !== 1) return null;
  const match = lists[0]!;
  const inner = match[1]!;
  if (!/^[\s\w$,]*$/.test(inner)) return null;
  const names = inner
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.includes(className)) return null;
  let list: string;
  if (!inner.includes('\n')) {
    list = `[${[...names, className].join(', ')}]`;
  } else {
    const indent = /\n([ \t]*)\S/.exec(inner)?.[1] ?? '    ';
    const closing = /\n([ \t]*)$/.exec(inner)?.[1] ?? '';
    list = `[\n${[...names, className].map((n) => `${indent}${n},`).join('\n')}\n${closing}]`;
  }
  const start = match.index!;
  const listStart = start + match[0].indexOf('[');
  const withList = source.slice(0, listStart) + list + source.slice(start + match[0].length);
  const importLine = `import { ${className} } from '${importPath}';`;
  const lines = withList.split('\n');
  let lastImport = -1;
  lines.forEach((line, i) => {
    if (/^import\s.*['"];?\s*$/.test(line) || /^\}\s*from\s+['"].*['"];?\s*$/.test(line)) lastImport = i;
  });
  lines.splice(lastImport + 1, 0, importLine);
  return lines.join('\n');
}
