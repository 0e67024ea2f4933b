// The plan's salt file: the random SCRAM salt of each role whose password pgrant writes as a verifier.
// It sits next to the plan and is committed like a lock file: renders stay reproducible (same plan, same
// salt file, same passwords: same bytes), and no salt is ever derived from a password.
import { basename, dirname, join } from 'node:path';
import { UserError } from '../diagnostics.js';
import { newScramSalt, scramVerifier } from '../sql/scram.js';
import type { PlanFiles } from './files.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const ABOUT = 'random SCRAM salts of the passwords this plan writes as verifiers; not secret: commit this file with the plan';

/** `plan.yaml` → `plan.salts.json`, in the plan's folder (not a .yaml file, so `render *.yaml` skips it). */
export function saltFileOf(planFile: string): string {
  return join(dirname(planFile), `${basename(planFile).replace(/\.ya?ml$/i, '')}.salts.json`);
}

/** The verifiers in the plan's previous output (the files `pgrant render` is about to replace). */
export type PreviousVerifiers = () => ReadonlySet<string>;

/**
 * The salts one render uses: the recorded ones, and a new random salt for a role that has none yet or
 * whose password changed (seen when the previous output holds the old verifier with the recorded salt).
 */
export class PlanSalts {
  private readonly used = new Map<string, Buffer>();
  private previous: PreviousVerifiers = () => new Set();

  constructor(
    readonly file: string,
    private readonly recorded: ReadonlyMap<string, Buffer>,
  ) {}

  /** Where the previous verifiers are found (render: the output folder it replaces). */
  comparePrevious(previous: PreviousVerifiers): void {
    this.previous = previous;
  }

  /** The verifier of a role's password: its recorded salt, or one drawn at random once for this render. */
  verifier(role: string, password: string): string {
    let salt = this.used.get(role);
    if (!salt) {
      const recorded = this.recorded.get(role);
      salt = recorded && !this.passwordChanged(recorded, password) ? recorded : newScramSalt();
      this.used.set(role, salt);
    }
    return scramVerifier(password, salt);
  }

  /** True when the previous output holds a verifier with this salt and the password no longer matches it. */
  private passwordChanged(salt: Buffer, password: string): boolean {
    const prefix = `:${salt.toString('base64')}$`;
    const old = [...this.previous()].filter((v) => v.includes(prefix));
    return old.length > 0 && !old.includes(scramVerifier(password, salt));
  }

  /** The salt file as this render leaves it: the salts it used, by role name; null when none is needed. */
  text(): string | null {
    if (this.used.size === 0 && this.recorded.size === 0) return null;
    const salts = Object.fromEntries([...this.used.keys()].sort().map((role) => [role, this.used.get(role)!.toString('base64')]));
    return `${JSON.stringify({ about: ABOUT, salts }, null, 2)}\n`;
  }
}

/** Reads the plan's salt file (none yet: no salts); a damaged one is a user error naming the file. */
export function readPlanSalts(planFile: string, files: PlanFiles): PlanSalts {
  const file = saltFileOf(planFile);
  let text: string;
  try {
    text = files.read(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A plan read from git at a revision without the file has none either.
    if (code === 'ENOENT' || code === undefined || code.startsWith('not in git revision')) return new PlanSalts(file, new Map());
    throw damaged(files.label(file), '', `cannot read it: ${code}`);
  }
  return new PlanSalts(file, parseSalts(files.label(file), text));
}

function parseSalts(label: string, text: string): Map<string, Buffer> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw damaged(label, '', `not JSON: ${(e as Error).message}`);
  }
  const salts = (doc as { salts?: unknown } | null)?.salts;
  if (typeof salts !== 'object' || salts === null || Array.isArray(salts)) throw damaged(label, 'salts', 'expected an object mapping role names to base64 salts');
  const map = new Map<string, Buffer>();
  for (const [role, salt] of Object.entries(salts)) {
    if (typeof salt !== 'string' || !BASE64.test(salt)) throw damaged(label, `salts.${JSON.stringify(role)}`, 'expected a base64 salt');
    map.set(role, Buffer.from(salt, 'base64'));
  }
  return map;
}

function damaged(label: string, path: string, message: string): UserError {
  return new UserError({
    level: 'error',
    loc: { file: label, line: 1, col: 1 },
    path,
    message: `salt file: ${message}`,
    hint: 'restore it from version control, or delete it: the next `pgrant render` draws new salts (the passwords stay the same)',
  });
}
