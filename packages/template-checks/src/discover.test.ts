import path from 'node:path';
import { discoverTemplates } from './discover';
import { defaultLocations, repoRoot } from './run';

describe('discoverTemplates', () => {
  it('follows the Location of templates/ to every listed template', () => {
    const { templates, findings } = discoverTemplates([defaultLocations]);
    expect(findings).toEqual([]);
    expect(templates).toEqual(
      expect.arrayContaining([
        path.join(repoRoot, 'templates/onboard-tenant/template.yaml'),
        path.join(repoRoot, 'templates/example-nodejs/template.yaml'),
      ]),
    );
  });

  it('takes template files and folders, and reports missing ones', () => {
    const good = path.join(__dirname, '../fixtures/good');
    const { templates, findings } = discoverTemplates([
      good,
      path.join(good, 'template.yaml'),
      path.join(good, 'nope'),
    ]);
    expect(templates).toEqual([path.join(good, 'template.yaml')]);
    expect(findings).toEqual([
      expect.objectContaining({ message: 'no such file or folder' }),
    ]);
  });
});
