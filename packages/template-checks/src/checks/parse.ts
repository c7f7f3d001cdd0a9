import { isMap } from 'yaml';
import { YamlSource } from '../source';
import { Finding } from '../types';

/**
 * Check 1: the file is YAML, one document, and that document is a mapping.
 * Syntax errors and duplicate keys are reported where the YAML parser found
 * them.
 */
export function checkParses(source: YamlSource): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const doc of source.documents) {
    for (const error of doc.errors) {
      const start = error.linePos?.[0];
      // One error per position: the parser often reports a cause and its
      // consequences at the same place.
      const key = `${start?.line}:${start?.col}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({
        file: source.file,
        line: start?.line ?? 1,
        column: start?.col ?? 1,
        message: `YAML syntax: ${firstLine(error.message)}`,
      });
    }
  }
  if (findings.length) return findings;

  if (source.documents.length === 0 || source.doc.contents === null) {
    return [source.findingAt(0, 'the file is empty: expected a Template')];
  }
  if (source.documents.length > 1) {
    const second = source.documents[1];
    return [
      source.findingAt(
        second.range[0],
        `the file holds ${source.documents.length} YAML documents; a template file holds exactly one (the Template)`,
      ),
    ];
  }
  if (!isMap(source.doc.contents)) {
    return [
      source.findingAt(
        source.doc.contents.range?.[0] ?? 0,
        'the document is not a mapping: expected a Template (apiVersion, kind, metadata, spec)',
      ),
    ];
  }
  return [];
}

function firstLine(message: string): string {
  // With prettyErrors the message ends with a code frame; keep the sentence.
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
