// Where a plan's files come from: the disk, or a git revision (render --from-git reads the whole plan —
// its includes and team patterns — as it was then). Paths are written as on the disk in both cases.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';

export interface PlanFiles {
  /** The text of a file; throws an Error with `code` (e.g. ENOENT) when it cannot. */
  read(path: string): string;
  /** Every file below a directory (recursively), as paths starting with `dir`; [] when there is none. */
  list(dir: string): string[];
  /** True when the path is a directory. */
  isDirectory(path: string): boolean;
  /** The path as messages show it (a git revision prefixes it: `main:examples/plan.yaml`). */
  label(path: string): string;
}

/** The plan's files as they are on the disk. */
export const diskFiles: PlanFiles = {
  read: (path) => readFileSync(path, 'utf8'),
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
      try {
        return git(['show', `${rev}:${toRepo(path)}`]);
      } catch (e) {
        const detail = String((e as { stderr?: string }).stderr ?? '').trim().split('\n')[0];
        throw Object.assign(new Error(detail), { code: `not in git revision ${rev}` });
      }
    },
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
  const normalized = pattern.split(sep).join('/');
  const segments = normalized.split('/');
  const fixed: string[] = [];
  for (const s of segments) {
    if (isGlob(s)) break;
    fixed.push(s);
  }
  const base = fixed.length ? fixed.join('/') : '.';
  const regex = globRegex(segments.slice(fixed.length).join('/'));
  return files
    .list(base)
    .filter((f) => regex.test(posix.relative(base, f.split(sep).join('/'))))
    .sort();
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
