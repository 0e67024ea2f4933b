// Where a plan's files come from: the disk, or a git revision (render --from-git reads the whole plan —
// its includes and team patterns — as it was then). Paths are written as on the disk in both cases.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';

/**
 * The most YAML one plan may hold, its included files counted in, and any one file pgrant reads: a plan
 * renders to about a hundred times its size in SQL, so a larger one would take minutes and gigabytes.
 */
export const PLAN_SIZE_LIMIT = 4 * 1024 * 1024;

/** A size in MiB, as messages give it. */
export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
}

export interface PlanFiles {
  /**
   * The text of a regular file of at most PLAN_SIZE_LIMIT bytes; throws an Error with `code` (e.g.
   * ENOENT, or why the file is refused) when it cannot.
   */
  read(path: string): string;
  /** The path with symlinks, `.` and `..` resolved (as far as it exists), to tell whether it is inside a folder. */
  realPath(path: string): string;
  /** Every file below a directory (recursively), as paths starting with `dir`; [] when there is none. */
  list(dir: string): string[];
  /** True when the path is a directory. */
  isDirectory(path: string): boolean;
  /** The path as messages show it (a git revision prefixes it: `main:examples/plan.yaml`). */
  label(path: string): string;
}

/** The plan's files as they are on the disk. */
export const diskFiles: PlanFiles = {
  read: (path) => readRegularFile(path, PLAN_SIZE_LIMIT),
  realPath(path) {
    try {
      return realpathSync(path);
    } catch {
      // A file that does not exist: its folder resolved, so that the read reports ENOENT where it is named.
      const parent = dirname(resolve(path));
      return parent === resolve(path) ? parent : join(diskFiles.realPath(parent), relative(parent, resolve(path)));
    }
  },
  list(dir) {
    let entries: string[];
    try {
      entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
    } catch {
      return [];
    }
    return entries.map((e) => join(dir, e)).filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile());
  },
  isDirectory: (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false,
  label: (path) => path,
};

/** An Error whose `code` says why a file is not read (messages print the code). */
function refused(reason: string): Error {
  return Object.assign(new Error(reason), { code: reason });
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a regular file of at most `limit` bytes. A FIFO is refused without waiting for a writer
 * (O_NONBLOCK), a device without reading it, and at most limit + 1 bytes are read whatever size the
 * file claims (files under /proc claim 0).
 */
function readRegularFile(path: string, limit: number): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refused(`it is ${fileKind(st)}, not a regular file`);
    if (st.size > limit) throw refused(`it holds ${mib(st.size)}, more than the ${mib(limit)} a plan file may hold`);
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw refused(`it holds more than the ${mib(limit)} a plan file may hold`);
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** True when `path` is `folder` or inside it (both as realPath gives them). */
export function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel));
}

/**
 * The files of the git repository holding `planFile`, as they were at revision `rev`. Paths are taken
 * as on the disk (relative to the working directory) and mapped into the repository.
 */
export function gitFiles(rev: string, planFile: string): PlanFiles {
  // A revision is never an option: "--output=…" would make git write a file.
  if (rev.startsWith('-')) throw new Error(`"${rev}" is not a revision`);
  const planDir = dirname(resolve(planFile));
  const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: planDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  // The plan's folder inside the repository, found by git itself (the disk path may go through symlinks).
  const prefix = execFileSync('git', ['rev-parse', '--show-prefix'], { cwd: planDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const toRepo = (path: string): string => posix.normalize(posix.join(prefix, relative(planDir, resolve(path)).split(sep).join('/')));
  const git = (args: string[]): string => execFileSync('git', args, { cwd: top, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const listRepo = (dir: string): string[] => {
    const repoDir = toRepo(dir);
    try {
      return git(['ls-tree', '-r', '--name-only', '-z', rev, '--', repoDir === '.' ? '.' : `${repoDir}/`]).split('\0').filter(Boolean);
    } catch {
      return [];
    }
  };
  return {
    read(path) {
      let text: string;
      try {
        text = git(['show', `${rev}:${toRepo(path)}`]);
      } catch (e) {
        const detail = String((e as { stderr?: string }).stderr ?? '').trim().split('\n')[0];
        throw Object.assign(new Error(detail), { code: `not in git revision ${rev}` });
      }
      if (Buffer.byteLength(text) > PLAN_SIZE_LIMIT) throw refused(`it holds more than the ${mib(PLAN_SIZE_LIMIT)} a plan file may hold`);
      return text;
    },
    // Git's tree has no symlinks to follow into: the path, normalized, is what is read.
    realPath: (path) => resolve(path),
    list(dir) {
      const repoDir = toRepo(dir);
      return listRepo(dir).map((f) => join(dir, posix.relative(repoDir, f)));
    },
    isDirectory: (path) => listRepo(path).length > 0,
    label: (path) => `${rev}:${toRepo(path)}`,
  };
}

/** True when a path contains glob characters (`*`, `?`, `[`). */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/**
 * The files a glob names, sorted: `*` and `?` stay within a path segment, `**` crosses segments, `[…]`
 * is a character class. The part before the first glob character is the folder searched.
 */
export function expandGlob(files: PlanFiles, pattern: string): string[] {
  const { base, rest } = splitGlob(pattern);
  const regex = globRegex(rest);
  return files
    .list(base)
    .filter((f) => regex.test(posix.relative(base, f.split(sep).join('/'))))
    .sort();
}

/** The folder a glob searches (its segments before the first glob character) and the rest. */
function splitGlob(pattern: string): { base: string; rest: string } {
  const segments = pattern.split(sep).join('/').split('/');
  const fixed: string[] = [];
  for (const s of segments) {
    if (isGlob(s)) break;
    fixed.push(s);
  }
  return { base: fixed.length ? fixed.join('/') : '.', rest: segments.slice(fixed.length).join('/') };
}

/** The folder a glob searches: it must be inside the plan's root before it is listed. */
export function globBase(pattern: string): string {
  return splitGlob(pattern).base;
}

function globRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders.
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
