import fs from 'node:fs';
import path from 'node:path';
import {
  Document,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Node,
  parseAllDocuments,
  parseDocument,
} from 'yaml';
import { Finding } from './types';

export type PathSegment = string | number;

/** A position in a file, 1-based. */
export interface Position {
  line: number;
  column: number;
}

/**
 * A YAML file with what is needed to point at any of its nodes: the parsed
 * document (with source ranges) and a line counter.
 */
export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly lineCounter: LineCounter;
  readonly documents: Document.Parsed[];

  static read(file: string): YamlSource {
    return new YamlSource(file, fs.readFileSync(file, 'utf8'));
  }

  constructor(file: string, text: string) {
    this.file = path.resolve(file);
    this.text = text;
    this.lineCounter = new LineCounter();
    this.documents = parseAllDocuments(text, {
      lineCounter: this.lineCounter,
      prettyErrors: true,
    }) as Document.Parsed[];
    // parseAllDocuments returns an EmptyStream (an array) for empty input.
    if (!Array.isArray(this.documents)) this.documents = [this.documents];
  }

  /** The one document (the parse check makes sure there is exactly one). */
  get doc(): Document.Parsed {
    return this.documents[0] ?? parseDocument('');
  }

  /** The plain JS value of the document. */
  value(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  position(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    if (line === 0) return { line: 1, column: offset + 1 };
    return { line, column: col };
  }

  /**
   * Where the value at `segments` is written: for a mapping entry its key
   * (`steps:`), for a sequence item the item. When the path does not exist
   * all the way, the deepest part that does (e.g. the mapping that lacks a
   * required property).
   */
  locate(segments: readonly PathSegment[]): Position {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const segment of segments) {
      if (isMap(node)) {
        const pair = node.items.find(
          p => isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (!pair) break;
        offset = rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (item === undefined) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return this.position(offset);
  }

  /** Where the value (not the key) at `segments` starts, if it exists. */
  locateValue(segments: readonly PathSegment[]): Position | undefined {
    const node = this.doc.getIn(segments, true);
    const start = rangeStart(node);
    return start === undefined ? undefined : this.position(start);
  }

  /** The YAML node at `segments`, if any. */
  node(segments: readonly PathSegment[]): Node | undefined {
    const node = this.doc.getIn(segments, true);
    return isNode(node) ? node : undefined;
  }

  finding(
    segments: readonly PathSegment[],
    message: string,
    details?: string[],
  ): Finding {
    return { file: this.file, ...this.locate(segments), message, details };
  }

  findingAt(offset: number, message: string, details?: string[]): Finding {
    return { file: this.file, ...this.position(offset), message, details };
  }
}

function rangeStart(node: unknown): number | undefined {
  if (isPair(node)) return rangeStart(node.key);
  if (isNode(node) && node.range) return node.range[0];
  return undefined;
}

/** A position in a plain text file (for skeleton files). */
export function positionInText(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
