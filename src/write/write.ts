// The only code that writes generated files: all plans rendered first, then each folder swapped in.
import { closeSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { UserError } from '../diagnostics.js';
import type { FileWriter } from '../render/render.js';

export interface PlanOutput {
  /** Folder name under the output directory (the plan name). */
  name: string;
  /**
   * File name → the function that renders it, handing its UTF-8 bytes to a sink piece by piece: each file
   * is written (or compared) as it is rendered, never held whole.
   */
  files: Map<string, FileWriter>;
}

/** Files that differ from what is on disk (missing, changed, or on disk but no longer generated). */
export async function staleFiles(outDir: string, output: PlanOutput): Promise<string[]> {
  const dir = join(outDir, output.name);
  const stale: string[] = [];
  for (const [file, render] of output.files) {
    const current = await readFile(join(dir, file)).catch(() => undefined);
    // Compared piece by piece as it is rendered.
    let offset = 0;
    let same = current !== undefined;
    render((bytes) => {
      if (same) same = offset + bytes.length <= current!.length && current!.subarray(offset, offset + bytes.length).equals(bytes);
      offset += bytes.length;
    });
    if (!same || offset !== current!.length) stale.push(join(dir, file));
  }
  for (const file of await listFiles(dir)) if (!output.files.has(file)) stale.push(join(dir, file));
  return stale.sort();
}

/** Files under a directory, as paths relative to it with "/" separators. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) files.push(...(await listFiles(dir, rel)));
    else files.push(rel);
  }
  return files;
}

/**
 * mkdir -p. Node's own recursive mkdir never returns where a parent exists but refuses new entries
 * (`/proc/x`: ENOENT for the child, EEXIST for the parent, forever): each level is tried once here.
 */
async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(dir)).isDirectory()) return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
    await makeDirectory(dirname(dir));
    await mkdir(dir);
  }
}

/** An error while rendering a file, told apart from the disk's errors. */
class RenderFailure extends Error {
  constructor(readonly failure: unknown) {
    super('rendering failed');
  }
}

/** An error while writing a piece, passed through the renderer that called the sink. */
class DiskFailure extends Error {
  constructor(readonly failure: unknown) {
    super('writing failed');
  }
}

/** Hook for tests: simulate a failing disk. */
export const writeHooks: { beforeWrite?: (path: string) => void } = {};

/**
 * Writes every plan's folder atomically: each is written to a temporary sibling, then swapped in with
 * renames. If anything fails, the previous folders are left as they were and temporary ones removed.
 */
export async function writeOutputs(outDir: string, outputs: PlanOutput[]): Promise<void> {
  const staged: { tmp: string; final: string }[] = [];
  try {
    await makeDirectory(outDir);
    for (const output of outputs) {
      const tmp = join(outDir, `.${output.name}.pgrant-tmp-${process.pid}`);
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp);
      staged.push({ tmp, final: join(outDir, output.name) });
      for (const [file, render] of output.files) {
        const path = join(tmp, file);
        writeHooks.beforeWrite?.(path);
        await makeDirectory(dirname(path));
        const fd = openSync(path, 'w');
        try {
          render((bytes) => {
            try {
              writeSync(fd, bytes);
            } catch (e) {
              throw new DiskFailure(e);
            }
          });
        } catch (e) {
          if (e instanceof DiskFailure) throw e.failure;
          throw new RenderFailure(e);
        } finally {
          closeSync(fd);
        }
      }
    }
  } catch (e) {
    await Promise.all(staged.map((s) => rm(s.tmp, { recursive: true, force: true })));
    // Rendering failed (a bug, not the disk): the folders are cleaned all the same.
    if (e instanceof RenderFailure) throw e.failure;
    throw new UserError({
      level: 'error',
      path: '',
      message: `cannot write to ${outDir}: ${(e as Error).message}; the previous output is unchanged`,
      hint: 'check free space and permissions of the output directory',
    });
  }
  for (const { tmp, final } of staged) {
    const old = `${tmp}-old`;
    await rm(old, { recursive: true, force: true });
    const hadOld = await rename(final, old).then(
      () => true,
      () => false,
    );
    await rename(tmp, final);
    if (hadOld) await rm(old, { recursive: true, force: true });
  }
}

/** A plan's salt file as a render leaves it (src/plan/salts.ts). */
export interface SaltFile {
  file: string;
  text: string;
}

/** True when the salt file on disk is not this text (missing or different). */
export async function saltFileIsStale(salts: SaltFile): Promise<boolean> {
  const current = await readFile(salts.file, 'utf8').catch(() => undefined);
  return current !== salts.text;
}

/**
 * Writes the salt files that change, each through a temporary sibling and a rename. They are written
 * before the output folders: a salt on disk is then never missing for a verifier already written.
 */
export async function writeSaltFiles(files: SaltFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const salts of files) {
    if (!(await saltFileIsStale(salts))) continue;
    const tmp = `${salts.file}.pgrant-tmp-${process.pid}`;
    try {
      await writeFile(tmp, salts.text);
      await rename(tmp, salts.file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw new UserError({ level: 'error', path: '', message: `cannot write the salt file ${salts.file}: ${(e as Error).message}; the output folders are unchanged`, hint: 'check permissions of the plan\'s folder' });
    }
    written.push(salts.file);
  }
  return written;
}

const VERIFIER_IN_TEXT = /SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/g;

/**
 * The SCRAM verifiers in a plan's previous output folder (any layout), read once when first asked: the
 * salt file keeps a role's salt only while its password still matches the verifier written last time.
 */
export function previousVerifiers(outDir: string, name: string): () => ReadonlySet<string> {
  let found: Set<string> | undefined;
  return () => {
    if (!found) {
      found = new Set();
      const dir = join(outDir, name);
      for (const file of listFilesSync(dir)) {
        for (const m of readFileSync(join(dir, file), 'utf8').matchAll(VERIFIER_IN_TEXT)) found.add(m[0]);
      }
    }
    return found;
  };
}

function listFilesSync(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}
