import globby from 'globby';
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isSeq } from 'yaml';
import { YamlSource } from './source';
import { Finding } from './types';

export interface Discovery {
  /** Absolute paths of template files, in the order found. */
  templates: string[];
  findings: Finding[];
  notes: string[];
}

/**
 * The templates behind `paths`: a template file; a folder (its
 * `template.yaml`); or a file of `Location` entities, whose `target` /
 * `targets` are followed (relative to it, globs allowed, nested Locations
 * too) — as the catalog does for `type: file` locations.
 */
export function discoverTemplates(paths: string[]): Discovery {
  const result: Discovery = { templates: [], findings: [], notes: [] };
  const seen = new Set<string>();

  const visit = (file: string) => {
    const abs = path.resolve(file);
    if (seen.has(abs)) return;
    seen.add(abs);
    const source = YamlSource.read(abs);
    const locations = source.documents.filter(
      doc => isMap(doc.contents) && doc.get('kind') === 'Location',
    );
    if (locations.length === 0) {
      result.templates.push(abs);
      return;
    }
    for (const doc of locations) {
      const type = doc.getIn(['spec', 'type']) ?? 'file';
      const raw: unknown[] = [];
      const target = doc.getIn(['spec', 'target'], true);
      if (target) raw.push(target);
      const targets = doc.getIn(['spec', 'targets'], true);
      if (isSeq(targets)) raw.push(...targets.items);
      for (const node of raw as Array<{ value?: unknown; range?: number[] }>) {
        const value = String(node.value);
        if (type !== 'file' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
          result.notes.push(
            `${rel(
              abs,
            )}: not following ${value} (only file targets are checked)`,
          );
          continue;
        }
        const resolved = path.resolve(path.dirname(abs), value);
        let matches: string[] = [];
        if (globby.hasMagic(value)) {
          matches = globby.sync(value, {
            cwd: path.dirname(abs),
            absolute: true,
          });
        } else if (fs.existsSync(resolved)) {
          matches = [resolved];
        }
        if (matches.length === 0) {
          result.findings.push(
            source.findingAt(
              node.range?.[0] ?? 0,
              `location target ${value} matches no file (${rel(resolved)})`,
            ),
          );
        }
        matches.sort().forEach(visit);
      }
    }
  };

  for (const p of paths) {
    const abs = path.resolve(p);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) {
      result.findings.push({
        file: abs,
        line: 1,
        column: 1,
        message: 'no such file or folder',
      });
    } else if (stat.isDirectory()) {
      const inside = ['template.yaml', 'template.yml', 'locations.yaml']
        .map(f => path.join(abs, f))
        .find(f => fs.existsSync(f));
      if (inside) visit(inside);
      else {
        result.findings.push({
          file: abs,
          line: 1,
          column: 1,
          message: 'the folder has no template.yaml (or locations.yaml)',
        });
      }
    } else {
      visit(abs);
    }
  }
  return result;
}

function rel(file: string): string {
  return path.relative(process.cwd(), file) || file;
}
