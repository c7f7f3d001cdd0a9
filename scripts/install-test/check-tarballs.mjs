// Checks the tarballs `yarn pack` made of the suite's public packages, the
// way a registry would receive them (scripts/test-install.sh runs it):
//
//   - the manifest points at built code (main/module/types/configSchema exist
//     in the tarball, not src/), and no `workspace:` range is left;
//   - every package the built code imports (require/import of dist/**/*.js)
//     is a dependency or peer dependency — a devDependency is not installed
//     for those who install the package;
//   - `files` ships what the code reads at run time (migrations/ when the
//     code resolves it).
//
//   node check-tarballs.mjs TARBALL_DIR
//
// TARBALL_DIR holds the tarballs and index.json ([{ name, version, file }]).
// Prints one line per package; exits 1 listing every problem.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const dir = process.argv[2];
const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
const builtins = new Set(builtinModules.flatMap(m => [m, `node:${m}`]));
const problems = [];

function walk(root, rel = '') {
  const out = [];
  for (const entry of fs.readdirSync(path.join(root, rel), {
    withFileTypes: true,
  })) {
    const p = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...walk(root, p));
    else out.push(p);
  }
  return out;
}

const packageName = spec =>
  spec.startsWith('@')
    ? spec.split('/').slice(0, 2).join('/')
    : spec.split('/')[0];

for (const { name, file } of index) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-pack-check-'));
  try {
    execFileSync('tar', ['xzf', path.join(dir, file), '-C', tmp]);
    const root = path.join(tmp, 'package');
    const manifest = JSON.parse(
      fs.readFileSync(path.join(root, 'package.json'), 'utf8'),
    );
    const files = walk(root);
    const has = f => fs.existsSync(path.join(root, f));
    const say = msg => problems.push(`${name}: ${msg}`);

    for (const field of ['main', 'module', 'types', 'configSchema']) {
      const value = manifest[field];
      if (typeof value !== 'string') continue;
      if (/^(\.\/)?src\//.test(value))
        say(`"${field}" points at ${value} (the source, not the build)`);
      else if (!has(value))
        say(`"${field}" is ${value}, which is not in the tarball`);
    }
    if (!manifest.main) say('no "main"');
    if (!manifest.types) say('no "types"');
    if (manifest.private) say('is private');
    for (const kind of [
      'dependencies',
      'peerDependencies',
      'optionalDependencies',
    ]) {
      for (const [dep, range] of Object.entries(manifest[kind] ?? {})) {
        if (/^(workspace|link|portal|file):/.test(range)) {
          say(`${kind}.${dep} is "${range}" (not installable from a registry)`);
        }
      }
    }

    const declared = new Set([
      name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ]);
    const undeclared = new Map();
    const code = files.filter(f => /^dist\/.*\.(c|m)?js$/.test(f));
    if (code.length === 0) say('no built code under dist/');
    let readsMigrations = false;
    for (const f of code) {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      const specs = [
        ...text.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g),
        ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
        ...text.matchAll(
          /^\s*(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
        ),
        ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ].map(m => m[1]);
      for (const spec of specs) {
        if (spec.startsWith('.') || spec.startsWith('/') || builtins.has(spec))
          continue;
        if (builtins.has(spec.split('/')[0])) continue;
        const dep = packageName(spec);
        if (!declared.has(dep)) {
          if (!undeclared.has(dep)) undeclared.set(dep, f);
        }
      }
      if (/resolvePackagePath\([^)]*['"]migrations['"]/s.test(text))
        readsMigrations = true;
    }
    for (const [dep, f] of undeclared) {
      const where = manifest.devDependencies?.[dep]
        ? 'a devDependency only'
        : 'not declared at all';
      say(
        `${f} imports ${dep}, which is ${where} (those who install the package do not get it)`,
      );
    }
    if (readsMigrations && !files.some(f => f.startsWith('migrations/'))) {
      say(
        'the code reads migrations/ (resolvePackagePath) but the tarball has none ("files")',
      );
    }
    if (!has('README.md')) say('no README.md');

    console.log(
      `  ${name}@${manifest.version}: ${files.length} files, main ${manifest.main}, ` +
        `${Object.keys(manifest.dependencies ?? {}).length} dependencies`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (problems.length) {
  console.error(
    `\nProblems in the packed packages:\n${problems
      .map(p => `  - ${p}`)
      .join('\n')}`,
  );
  process.exit(1);
}
