// A YAML document that remembers where every node came from.
import { LineCounter, parseDocument, isAlias, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import { Collector, type Location } from '../diagnostics.js';

export type PathSegment = string | number;

/** Renders a plan path as users write it: `patterns[0].role`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export class SourceFile {
  readonly lineCounter = new LineCounter();
  private document: Document.Parsed | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.document = parseDocument(text, {
      lineCounter: this.lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
    });
  }

  /** The parsed document, with the position of every node. */
  get doc(): Document.Parsed {
    if (!this.document) throw new Error(`the YAML document of ${this.file} was let go: its locations are no longer available`);
    return this.document;
  }

  /**
   * Lets the parsed document go: `pgrant render` calls this once the model and the view hold every
   * location they report, so that a large plan's document is not kept while its files are written.
   */
  release(): void {
    this.document = undefined;
  }

  /** Location of a character offset. */
  at(offset: number): Location {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Location of a node (its first character), or of the document start. */
  locNode(node: Node | null | undefined): Location {
    const start = node?.range?.[0];
    return start === undefined ? { file: this.file, line: 1, col: 1 } : this.at(start);
  }

  /** Location of the key of a map entry, if the node is a pair key. */
  locKey(map: Node, key: string): Location {
    if (isMap(map)) {
      for (const item of map.items) {
        if (isScalar(item.key) && String(item.key.value) === key) return this.locNode(item.key);
      }
    }
    return this.locNode(map);
  }

  /** Reports YAML syntax errors (including duplicate keys and tabs) into `out`. */
  reportSyntax(out: Collector): void {
    for (const e of this.doc.errors) {
      out.error(this.at(e.pos[0]), '', yamlMessage(e.code, e.message), yamlHint(e.code));
    }
  }

  /** The node at a path (map keys and sequence indexes), or undefined. */
  nodeAt(path: readonly PathSegment[]): Node | undefined {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc) as unknown;
      if (typeof seg === 'number' && isSeq(node)) node = node.items[seg];
      else if (typeof seg === 'string' && isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
        node = pair?.value;
      } else return undefined;
    }
    return (node ?? undefined) as Node | undefined;
  }
}

function yamlMessage(code: string, message: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key: each key may appear once in a mapping';
    case 'TAB_AS_INDENT':
      return 'tab used for indentation: YAML indents with spaces only';
    default:
      return `YAML syntax error: ${message.split('\n')[0]}`;
  }
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'remove or merge the repeated key';
    case 'TAB_AS_INDENT':
      return 'replace the tab with spaces';
    default:
      return 'check indentation, quotes and brackets on this line or the one before';
  }
}
