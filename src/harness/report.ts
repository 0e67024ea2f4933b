// The run's result for people: per plan, phases × majors, then role × capability × major against intent,
// then every failure with its statement and PostgreSQL's message.
import type { RunReport } from './run.js';
import type { CaseReport } from './prove.js';
import { printable } from '../diagnostics.js';

export interface Style {
  ok(text: string): string;
  bad(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export const plainStyle: Style = { ok: (t) => t, bad: (t) => t, dim: (t) => t, bold: (t) => t };
export const colorStyle: Style = {
  ok: (t) => `\x1b[32m${t}\x1b[0m`,
  bad: (t) => `\x1b[31m${t}\x1b[0m`,
  dim: (t) => `\x1b[2m${t}\x1b[0m`,
  bold: (t) => `\x1b[1m${t}\x1b[0m`,
};

function pad(text: string, width: number): string {
  const visible = [...text.replace(/\x1b\[[0-9;]*m/g, '')].length;
  return text + ' '.repeat(Math.max(0, width - visible));
}

export function formatReport(report: RunReport, style: Style = plainStyle, options: { verbose?: boolean } = {}): string[] {
  const lines: string[] = [];
  const files = [...new Set(report.cases.map((c) => c.file))];
  for (const file of files) {
    // A column per run: major × deployer ("pg17 su" = the superuser ran the files, "pg17 mgd" = a managed service's admin).
    const cases = report.cases.filter((c) => c.file === file);
    const both = new Set(cases.map((c) => c.deployer)).size > 1;
    const label = (c: CaseReport) => `pg${c.major}${both ? (c.deployer === 'managed' ? ' mgd' : ' su') : ''}`;
    const W = both ? 10 : 8;
    const cell = (c: CaseReport | undefined, text: (c: CaseReport) => string) => (c ? text(c) : '');
    lines.push(style.bold(printable(`${cases[0]!.plan} (${file})`)) + style.dim(cases.some((c) => c.renderedFor !== cases[0]!.renderedFor) ? '  SQL rendered for each server older than the plan\'s target' : ''));
    const phaseNames = [...new Set(cases.flatMap((c) => c.phases.map((p) => p.name)))];
    const w = Math.max(30, ...phaseNames.map((n) => n.length)) + 2;
    lines.push(`  ${pad('phase', w)}${cases.map((c) => pad(label(c), W)).join('')}`);
    for (const name of phaseNames) {
      lines.push(
        `  ${pad(name, w)}${cases
          .map((run) =>
            pad(
              cell(run, (c) => {
                const p = c.phases.find((x) => x.name === name);
                if (!p) return '';
                return p.status === 'pass' ? style.ok('✓') : p.status === 'fail' ? style.bad('✗') : style.dim('-');
              }),
              W,
            ),
          )
          .join('')}`,
      );
    }
    // Role × capability × major.
    const keys = [...new Set(cases.flatMap((c) => c.probes.map((p) => `${p.role}\0${p.capability}`)))];
    const shown = (key: string) => key.split('\0').map((part) => printable(part)) as [string, string];
    if (keys.length) {
      const rw = Math.max(4, ...keys.map((k) => shown(k)[0].length)) + 2;
      const header = 'capability (intent: yes = allowed, no = denied)';
      const cw = Math.max(header.length, ...keys.map((k) => shown(k)[1].length)) + 2;
      lines.push('');
      lines.push(`  ${pad('role', rw)}${pad(header, cw)}${cases.map((c) => pad(label(c), W)).join('')}`);
      for (const key of keys) {
        const [role, capability] = key.split('\0') as [string, string];
        const cells = cases.map((run) => {
          const p = run.probes.find((x) => x.role === role && x.capability === capability);
          if (!p) return pad('', W);
          return pad(p.ok ? style.ok(`✓ ${p.expected ? 'yes' : 'no'}`) : style.bad(`✗ ${p.expected ? 'yes' : 'no'}`), W);
        });
        lines.push(`  ${pad(shown(key)[0], rw)}${pad(shown(key)[1], cw)}${cells.join('')}`);
      }
    }
    if (cases.some((c) => c.cases.length)) {
      lines.push('');
      lines.push("  plan's test cases");
      const first = cases.find((c) => c.cases.length)!;
      const label = (tc: (typeof first.cases)[number]) => printable(`as ${tc.as}: ${tc.sql.replace(/\s+/g, ' ')} → ${tc.expected}`);
      const lw = Math.max(...first.cases.map((tc) => label(tc).length)) + 2;
      first.cases.forEach((tc, i) => {
        const marks = cases.map((run) => {
          const r = run.cases[i];
          return pad(r ? (r.ok ? style.ok('✓') : style.bad('✗')) : '', W);
        });
        lines.push(`  ${pad(label(tc), lw)}${marks.join('')}`);
      });
    }
    const hints = [...new Set(cases.flatMap((c) => c.hints))];
    if (hints.length) {
      lines.push('');
      for (const h of hints) lines.push(style.dim(`  hint: ${printable(h)}`));
    }
    if (options.verbose) {
      for (const c of cases) {
        lines.push('', `  ${label(c)} (SQL for PostgreSQL ${c.renderedFor}, run as ${c.deployer === 'managed' ? 'a managed service\'s admin' : 'the superuser'}, ${c.durationMs} ms):`);
        for (const p of c.phases) lines.push(`    ${p.status === 'pass' ? '✓' : p.status === 'fail' ? '✗' : '-'} ${p.name}${p.detail && p.status !== 'fail' ? `: ${printable(p.detail.split('\n')[0]!)}` : ''}`);
      }
    }
    // Failures, in full; then skipped phases, which never count as passed.
    for (const c of cases) {
      for (const p of c.phases.filter((x) => x.status === 'fail')) {
        lines.push(style.bad(`  ✗ pg${c.major} as ${c.deployer === 'managed' ? 'managed admin' : 'superuser'}: ${p.name}:`));
        for (const l of (p.detail ?? '').split('\n')) lines.push(`      ${printable(l)}`);
        if (options.verbose && p.stack) for (const l of p.stack.split('\n')) lines.push(style.dim(`      ${printable(l)}`));
      }
    }
    const skipped = [...new Set(cases.flatMap((c) => c.phases.filter((p) => p.status === 'skip').map((p) => `${p.name}: ${p.detail ?? 'skipped'}`)))];
    for (const s of skipped) lines.push(style.dim(`  - skipped: ${printable(s)}`));
    lines.push('');
  }
  for (const e of report.errors) lines.push(style.bad(`✗ pg${e.major}: ${printable(e.message, { keepNewlines: true })}`));
  const total = report.cases.length;
  const passed = report.cases.filter((c) => c.ok).length;
  const probes = report.cases.reduce((n, c) => n + c.probes.length, 0);
  lines.push(
    (report.ok ? style.ok : style.bad)(
      `${report.ok ? 'PASS' : 'FAIL'}: ${passed}/${total} plan × major × deployer runs passed (${probes} probes; engine ${report.engine}; PostgreSQL ${report.majors.join(', ')}; deployer ${report.deployers.join(' and ')})`,
    ),
  );
  return lines;
}
