import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/**
 * app-config.production.yaml is what an image of this backend runs with:
 * its catalog file locations are read relative to the image's root, where
 * packages/backend/Dockerfile copies the repository's files. A location
 * whose file is missing, or is not copied into the image, would silently
 * leave the catalog without it.
 */

const repoRoot = path.resolve(__dirname, '../../..');
const read = (file: string) =>
  fs.readFileSync(path.join(repoRoot, file), 'utf8');

const production = YAML.parse(read('app-config.production.yaml'));
const fileLocations: Array<{ target: string; rules?: unknown }> = (
  production.catalog?.locations ?? []
).filter((l: { type: string }) => l.type === 'file');

describe('app-config.production.yaml', () => {
  it('never offers the sandbox personas sign-in (anyone on its list could sign in as them)', () => {
    for (const file of ['app-config.production.yaml', 'app-config.yaml']) {
      expect(
        Object.keys(YAML.parse(read(file)).auth?.providers ?? {}),
      ).not.toContain('personas');
    }
  });

  it('publishes the templates through the one location in templates/', () => {
    expect(fileLocations).toEqual(
      expect.arrayContaining([
        {
          type: 'file',
          target: './templates/locations.yaml',
          rules: [{ allow: ['Location', 'Template'] }],
        },
      ]),
    );
  });

  it.each(fileLocations.map(l => l.target))(
    'reads %s, which exists and the image copies',
    target => {
      expect(fs.existsSync(path.join(repoRoot, target))).toBe(true);
      const copied = read('packages/backend/Dockerfile')
        .split('\n')
        .filter(line => line.startsWith('COPY '))
        .flatMap(line => line.split(/\s+/).slice(1, -1))
        .filter(source => !source.startsWith('--'));
      const topLevel = path.normalize(target).split(path.sep)[0];
      expect(copied).toContain(topLevel);
    },
  );

  it('runs replicas on one shared cache and recovers their tasks (replicas.process.test.ts runs this config)', () => {
    expect(production.backend.cache).toEqual({
      store: 'redis',
      connection: '${REDIS_URL}',
    });
    expect(production.scaffolder.taskRecovery).toEqual({
      enabled: true,
      staleTimeout: { seconds: 30 },
    });
    // The local portal recovers tasks too (taskRecovery.process.test.ts).
    expect(YAML.parse(read('app-config.yaml')).scaffolder.taskRecovery).toEqual(
      { enabled: true, staleTimeout: { seconds: 30 } },
    );
  });

  it('has every template that templates/locations.yaml lists', () => {
    const targets: string[] = YAML.parse(read('templates/locations.yaml')).spec
      .targets;
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      expect({
        target,
        exists: fs.existsSync(path.join(repoRoot, 'templates', target)),
      }).toEqual({ target, exists: true });
    }
  });
});
