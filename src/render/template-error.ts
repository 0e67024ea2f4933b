/** A template that fails the escaping check or uses what pgrant's templates may not: file:line:col. */
export class TemplateError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    message: string,
  ) {
    super(`${file}:${line}:${col}: ${message}`);
    this.name = 'TemplateError';
  }
}
