import fs from 'node:fs';
import path from 'node:path';
import { YamlSource } from '../source';
import { Finding } from '../types';

/** The annotation that holds a template's version. */
export const VERSION_ANNOTATION = 'tenancy.dev/template-version';

/** The changelog beside a template.yaml. */
export const CHANGELOG_FILE = 'CHANGELOG.md';

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** The versions a changelog has entries for (`## 1.2.0`), newest first. */
export function changelogVersions(text: string): string[] {
  return [...text.matchAll(/^##\s+\[?v?(\d+\.\d+\.\d+[^\s\]]*)\]?/gm)].map(
    m => m[1],
  );
}

/**
 * A versioned template (its `tenancy.dev/template-version` annotation) has
 * a CHANGELOG.md beside it whose newest entry is that version, and a
 * version its description shows is the same. A template without either is
 * not versioned, which is fine; a changelog without the annotation is not.
 */
export function checkVersion(src: YamlSource): {
  findings: Finding[];
  note: string;
} {
  const metadata = (src.value() as any)?.metadata ?? {};
  const version = metadata.annotations?.[VERSION_ANNOTATION];
  const at = ['metadata', 'annotations', VERSION_ANNOTATION];
  const changelog = path.join(path.dirname(src.file), CHANGELOG_FILE);
  const hasChangelog = fs.existsSync(changelog);
  if (version === undefined) {
    return hasChangelog
      ? {
          findings: [
            src.finding(
              ['metadata'],
              `${CHANGELOG_FILE} is there but the template has no ${VERSION_ANNOTATION} annotation: give it the version of the changelog's newest entry`,
            ),
          ],
          note: '',
        }
      : { findings: [], note: 'not versioned' };
  }
  if (typeof version !== 'string' || !SEMVER.test(version)) {
    return {
      findings: [
        src.finding(
          at,
          `${VERSION_ANNOTATION} must be a version like 1.2.0, not ${JSON.stringify(
            version,
          )}`,
        ),
      ],
      note: '',
    };
  }
  const findings: Finding[] = [];
  if (!hasChangelog) {
    findings.push(
      src.finding(
        at,
        `version ${version} has no ${CHANGELOG_FILE} beside template.yaml: add one with a "## ${version}" entry saying what changed`,
      ),
    );
    return { findings, note: '' };
  }
  const versions = changelogVersions(fs.readFileSync(changelog, 'utf8'));
  if (!versions.includes(version)) {
    findings.push(
      src.finding(
        at,
        `version ${version} has no entry in ${CHANGELOG_FILE} (a "## ${version}" heading saying what changed)`,
      ),
    );
  } else if (versions[0] !== version) {
    findings.push(
      src.finding(
        at,
        `${CHANGELOG_FILE}'s newest entry is ${versions[0]}, not ${version}: put the newest first and name it here`,
      ),
    );
  }
  const shown = /\bVersion (\d+\.\d+\.\d+\S*?)\.?(?:\s|$)/.exec(
    String(metadata.description ?? ''),
  )?.[1];
  if (shown && shown !== version) {
    findings.push(
      src.finding(
        ['metadata', 'description'],
        `the description shows version ${shown}, the annotation says ${version}`,
      ),
    );
  }
  return {
    findings,
    note: `version ${version}; ${versions.length} changelog entr${
      versions.length === 1 ? 'y' : 'ies'
    }`,
  };
}
