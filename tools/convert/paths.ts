/**
 * The CLI's files, checked before any loading or compiling: inputs must be regular files (a FIFO
 * or /dev/zero would block or never end), outputs must be somewhere a file can be made (a
 * writable folder, or one that can be created; not under /proc, /sys or /dev; not a folder where
 * a file goes). Outputs are written through a temporary file or folder next to the target,
 * renamed into place on success and removed on failure and on SIGINT/SIGTERM. Removing never
 * throws, so it can neither hide the error that led to it nor skip what follows (engine.dispose()).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

/** Kernel file systems: writing there acts on the system (or never ends); it makes no output file. */
export const FORBIDDEN_OUTPUT_ROOTS = ['/proc', '/sys', '/dev'];

function fail(msg: string): never {
  throw new Error(msg);
}

/** Resolves an input path; refuses one that is missing, a folder, or not a regular file, or (given maxBytes) too big. */
export function checkInputFile(path: string, flag: string, maxBytes?: number): string {
  const abs = resolve(path);
  const st = statIfAny(abs);
  if (!st) fail(`${flag} ${abs}: no such file`);
  if (st.isDirectory()) fail(`${flag} ${abs}: is a folder, not a file`);
  if (!st.isFile()) fail(`${flag} ${abs}: is not a regular file`);
  if (maxBytes !== undefined && st.size > maxBytes) fail(`${flag} ${abs}: ${st.size} bytes is more than this input may have (${maxBytes})`);
  return abs;
}

const under = (p: string, root: string) => p === root || p.startsWith(root + sep);

/** stat, or undefined where nothing is (ENOENT) or cannot be (ENOTDIR: a file on the way). */
function statIfAny(p: string): Stats | undefined {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Resolves an output path and checks that it can be written: a file (`kind` 'file', replaced if it
 * exists) or a folder that does not exist yet or is empty ('folder'). Missing parent folders are
 * fine (they are made when writing) as long as the nearest existing one is a writable folder.
 */
export function checkOutputPath(path: string, flag: string, kind: 'file' | 'folder'): string {
  const abs = resolve(path);
  const no = (why: string): never => fail(`${flag} ${abs}: ${why}`);
  let existing = abs;
  let st = statIfAny(existing);
  while (!st && dirname(existing) !== existing) {
    existing = dirname(existing);
    st = statIfAny(existing);
  }
  if (!st) return no('no part of this path exists');
  let real = abs;
  try {
    real = join(realpathSync(existing), relative(existing, abs));
  } catch {
    // unreadable: the writability check below says so
  }
  for (const root of FORBIDDEN_OUTPUT_ROOTS)
    if (under(abs, root) || under(real, root)) no(`is under ${root}, a kernel file system, not a place for output files`);
  if (existing === abs) {
    if (kind === 'file' && st.isDirectory()) no('is a folder (give a file name)');
    if (kind === 'file' && !st.isFile()) no('exists and is not a regular file');
    if (kind === 'folder' && (!st.isDirectory() || readdirSync(abs).length)) no('exists and is not an empty folder (refusing to mix results)');
  } else if (!st.isDirectory()) no(`${existing} is a file, not a folder`);
  const dir = existing === abs ? dirname(abs) : existing;
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    no(`folder ${dir} is not writable`);
  }
  return abs;
}

/** Removes a path, recursively; never throws (cleanup must not replace the error being handled). */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // left behind: nothing better to do while another error is on its way
  }
}

const live = new Set<TempOutput>();

function onSignal(signal: NodeJS.Signals): void {
  for (const t of [...live]) t.discard();
  process.stderr.write(`hiu: interrupted (${signal}); temporary output removed\n`);
  process.exit(128 + (osConstants.signals[signal] ?? 1));
}

/**
 * A temporary file or folder next to `target` (made at once, with any missing parent folders),
 * renamed onto it by commit(). discard() removes it and the parent folders it made; it runs on
 * SIGINT/SIGTERM too, while any TempOutput is live.
 */
export class TempOutput {
  private done = false;

  private constructor(readonly target: string, readonly tmp: string, readonly kind: 'file' | 'folder', private readonly madeDir: string | undefined) {}

  static create(target: string, kind: 'file' | 'folder', flag: string): TempOutput {
    const parent = dirname(target);
    let madeDir: string | undefined;
    try {
      madeDir = mkdirSync(parent, { recursive: true });
    } catch (e) {
      fail(`${flag} ${target}: cannot make folder ${parent} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const t = new TempOutput(target, join(parent, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`), kind, madeDir);
    if (live.size === 0) process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    live.add(t);
    try {
      if (kind === 'file') writeFileSync(t.tmp, '', { flag: 'wx' });
      else mkdirSync(t.tmp);
    } catch (e) {
      t.discard();
      fail(`${flag} ${target}: cannot write in ${parent} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return t;
  }

  /** Puts the result in place (an empty folder at the target is replaced). */
  commit(): void {
    if (this.kind === 'folder' && statIfAny(this.target)?.isDirectory()) rmdirSync(this.target);
    renameSync(this.tmp, this.target);
    this.finish();
  }

  /** Removes the temporary output and the folders made for it; a no-op after commit(). Never throws. */
  discard(): void {
    if (this.done) return;
    removeQuietly(this.tmp);
    if (this.madeDir) {
      // Only folders this made, from the deepest up, and only while empty.
      for (let d = dirname(this.tmp); d.length >= this.madeDir.length; d = dirname(d)) {
        try {
          rmdirSync(d);
        } catch {
          break;
        }
      }
    }
    this.finish();
  }

  private finish(): void {
    this.done = true;
    live.delete(this);
    if (live.size === 0) process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}
