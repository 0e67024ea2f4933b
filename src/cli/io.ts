// Where commands print: real streams in the CLI, buffers in tests.
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** True when stdout is a terminal (progress display, colours). */
  isTTY: boolean;
  /** Colours only on a terminal, and never with NO_COLOR. */
  color: boolean;
}

export function processIo(): Io {
  const isTTY = process.stdout.isTTY === true;
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
  };
}
