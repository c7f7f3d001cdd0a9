import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { platformRbac } from './rbac';

/** Where platform teams `kubectl apply -f` the same RBAC from. */
const manifestsDir = path.resolve(__dirname, '../../../deploy/rbac');

function kindAndName(object: { kind?: string; metadata?: { name?: string } }) {
  return `${object.kind}/${object.metadata?.name}`;
}

function manifestObjects(): Array<Record<string, any>> {
  return fs
    .readdirSync(manifestsDir)
    .filter(file => /\.ya?ml$/.test(file))
    .sort()
    .flatMap(file =>
      YAML.parseAllDocuments(
        fs.readFileSync(path.join(manifestsDir, file), 'utf8'),
      ).map(document => {
        if (document.errors.length > 0) {
          throw new Error(`${file}: ${document.errors[0].message}`);
        }
        return document.toJS();
      }),
    )
    .filter(object => object !== null);
}

describe('platformRbac', () => {
  it('is what deploy/rbac/ applies, object for object', () => {
    const byName = (objects: Array<Record<string, any>>) =>
      Object.fromEntries(objects.map(o => [kindAndName(o), o]));
    const fromCode = platformRbac();
    const fromYaml = manifestObjects();

    expect(fromYaml.map(kindAndName).sort()).toEqual(
      fromCode.map(kindAndName).sort(),
    );
    expect(byName(fromYaml)).toEqual(byName(fromCode));
  });
});
