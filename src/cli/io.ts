// Where commands print: real streams in the CLI, buffers in tests.
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** True when stdout is a terminal (progress display, colours). */
  isTTY: boolean;
  /** Colours only on a terminal, and never with NO_COLOR. */
  color: boolean;
}

let pipesGuarded = false;

export function processIo(): Io {
  const isTTY = process.stdout.isTTY === true;
  // A reader that stops early (`pgrant patterns | head -1`) closes the pipe: stop quietly, as other
  // command-line tools do, instead of a stack trace. Nothing is lost that the reader wanted.
  if (!pipesGuarded) {
    pipesGuarded = true;
    for (const stream of [process.stdout, process.stderr]) {
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw e;
      });
    }
  }
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
  };
}
