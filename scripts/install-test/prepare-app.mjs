// Adds the suite's packed packages to an app made by @backstage/create-app,
// the way their READMEs tell an adopter to (scripts/test-install.sh runs it
// on a fresh copy of the template's files every time):
//
//   - the backend: every `backend.add(...)` the "## Install" section of each
//     public backend package's README shows goes into
//     packages/backend/src/index.ts, before `backend.start()`, and every
//     package those lines import becomes a dependency of packages/backend
//     (as `yarn --cwd packages/backend add <name>` would record it: ^version);
//   - the frontend: each public frontend plugin becomes a dependency of
//     packages/app (its README: discovered with `app.packages: all`), and a
//     file imports its default export as the README's non-discovery
//     instructions do, so that the type check sees the package's types;
//   - the root package.json maps every suite package to its tarball
//     (resolutions: the versions are not on a registry) — nothing else of the
//     repo is used;
//   - app-config.local.yaml: what the app needs beyond the template's config
//     for the test (a port on 127.0.0.1, a cluster and an environment).
//
// Writes install-test.json into the app: the action ids and clusters
// probe.mjs expects.
//
//   node prepare-app.mjs --app DIR --repo DIR --tarballs DIR --port N --cluster-port N
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const here = path.dirname(fileURLToPath(import.meta.url));
const appDir = path.resolve(args.app);
const repo = path.resolve(args.repo);
const tarballDir = path.resolve(args.tarballs);

const readJson = f => JSON.parse(fs.readFileSync(f, 'utf8'));
const writeJson = (f, v) =>
  fs.writeFileSync(f, `${JSON.stringify(v, null, 2)}\n`);
const problems = [];

const index = readJson(path.join(tarballDir, 'index.json'));
const suite = new Map(index.map(p => [p.name, p]));

// --- the root: every suite package from its tarball ----------------------
const rootPkgFile = path.join(appDir, 'package.json');
const rootPkg = readJson(rootPkgFile);
rootPkg.resolutions = { ...rootPkg.resolutions };
for (const p of index) {
  rootPkg.resolutions[p.name] = `file:${path.join(tarballDir, p.file)}`;
}
// The template's better-sqlite3 ^12 aborts on Node >= 24.19 ("Assertion
// failed: (env) != nullptr" in Statement::~Statement, during GC): the same
// workaround as this repo's root package.json (README, "Troubleshooting").
// Not a problem of the suite: the template's backend dies without it.
rootPkg.resolutions['better-sqlite3'] = '^13.2.0';
// Native builds nothing in this test runs, which take minutes on a small
// machine (tree-sitter: the frontend's API docs; keytar: `backstage-cli
// auth`; cpu-features/ssh2: docker-modem's optional speed-ups).
rootPkg.dependenciesMeta = {
  ...rootPkg.dependenciesMeta,
  ...Object.fromEntries(
    [
      'tree-sitter',
      'tree-sitter-json',
      '@tree-sitter-grammars/tree-sitter-yaml',
      'keytar',
      'cpu-features',
      'ssh2',
      '@scarf/scarf',
    ].map(n => [n, { built: false }]),
  ),
};
writeJson(rootPkgFile, rootPkg);

// --- the backend: the READMEs' install lines ------------------------------
function installSection(readme) {
  const lines = readme.split('\n');
  const start = lines.findIndex(l => /^##\s+Install/i.test(l));
  if (start < 0) return '';
  let end = lines.findIndex((l, i) => i > start && /^##\s/.test(l));
  if (end < 0) end = lines.length;
  return lines.slice(start, end).join('\n');
}

function codeBlocks(text) {
  return [...text.matchAll(/```(ts|tsx|typescript)\n([\s\S]*?)```/g)].map(
    m => m[2],
  );
}

// `backend.add(...);` statements of a block, parentheses balanced.
function addStatements(block) {
  const out = [];
  let from = 0;
  for (;;) {
    const at = block.indexOf('backend.add(', from);
    if (at < 0) break;
    let depth = 0;
    let i = at + 'backend.add'.length;
    for (; i < block.length; i++) {
      if (block[i] === '(') depth++;
      else if (block[i] === ')' && --depth === 0) break;
    }
    let endAt = i + 1;
    if (block[endAt] === ';') endAt++;
    out.push(block.slice(at, endAt));
    from = endAt;
  }
  return out;
}

function staticImports(block) {
  return [...block.matchAll(/^import\s[\s\S]*?from\s+['"][^'"]+['"];?/gm)]
    .map(m => m[0])
    .filter(s => !/['"]@backstage\/backend-defaults['"]/.test(s));
}

const importedPackages = code =>
  [
    ...code.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...code.matchAll(/from\s+['"]([^'"]+)['"]/g),
  ].map(m =>
    m[1].startsWith('@')
      ? m[1].split('/').slice(0, 2).join('/')
      : m[1].split('/')[0],
  );

const backendRoles = new Set(['backend-plugin', 'backend-plugin-module']);
const frontendRoles = new Set(['frontend-plugin', 'frontend-plugin-module']);
const statements = [];
const seen = new Set();
const imports = [];
const added = [];
for (const p of index) {
  if (!backendRoles.has(p.role)) continue;
  const readmeFile = path.join(repo, p.dir, 'README.md');
  const readme = fs.existsSync(readmeFile)
    ? fs.readFileSync(readmeFile, 'utf8')
    : '';
  const blocks = codeBlocks(installSection(readme)).filter(b =>
    b.includes('backend.add('),
  );
  if (blocks.length === 0) {
    problems.push(
      `${p.dir}/README.md has no \`backend.add(...)\` in a ts block under "## Install": an adopter is not told how to install ${p.name}`,
    );
    continue;
  }
  for (const block of blocks) {
    for (const s of staticImports(block)) {
      if (!imports.includes(s)) imports.push(s);
    }
    for (const s of addStatements(block)) {
      const key = s.replace(/\s+/g, '');
      if (seen.has(key)) continue;
      seen.add(key);
      statements.push({ from: p.name, code: s });
    }
  }
  added.push(p.name);
}

const indexFile = path.join(appDir, 'packages/backend/src/index.ts');
let indexTs = fs.readFileSync(indexFile, 'utf8');
if (!indexTs.includes('backend.start();')) {
  problems.push(
    'the template backend has no `backend.start();` to add the suite before',
  );
}
const block = [
  '// Tenancy: the lines of the suite packages\' READMEs ("## Install"),',
  '// added by scripts/test-install.sh.',
  ...statements.map(s => `// ${s.from}\n${s.code}`),
  '',
].join('\n');
indexTs = indexTs.replace('backend.start();', `${block}\nbackend.start();`);
if (imports.length) {
  // After the template's own imports.
  const lines = indexTs.split('\n');
  let last = -1;
  lines.forEach((l, i) => {
    if (/^import\s.*from\s/.test(l)) last = i;
  });
  lines.splice(last + 1, 0, ...imports);
  indexTs = lines.join('\n');
}
fs.writeFileSync(indexFile, indexTs);

const backendPkgFile = path.join(appDir, 'packages/backend/package.json');
const backendPkg = readJson(backendPkgFile);
const repoBackendPkg = readJson(
  path.join(repo, 'packages/backend/package.json'),
);
for (const name of new Set(
  importedPackages([...imports, ...statements.map(s => s.code)].join('\n')),
)) {
  if (suite.has(name)) {
    backendPkg.dependencies[name] = `^${suite.get(name).version}`;
  } else if (!backendPkg.dependencies[name]) {
    // A third-party package a README asks for: the range this repo uses.
    const range = repoBackendPkg.dependencies?.[name];
    if (range) backendPkg.dependencies[name] = range;
    else
      problems.push(
        `a README's install lines import ${name}, which is neither in the template's backend nor in this repo's`,
      );
  }
}
writeJson(backendPkgFile, backendPkg);

// --- the frontend ----------------------------------------------------------
const appPkgFile = path.join(appDir, 'packages/app/package.json');
const frontend = index.filter(p => frontendRoles.has(p.role));
if (fs.existsSync(appPkgFile)) {
  const appPkg = readJson(appPkgFile);
  const lines = [
    "// Added by scripts/test-install.sh: the suite's frontend plugins as their",
    '// READMEs import them without discovery, so that tsc checks their types.',
  ];
  frontend.forEach((p, i) => {
    appPkg.dependencies[p.name] = `^${p.version}`;
    lines.push(`import plugin${i} from '${p.name}';`);
  });
  lines.push(
    '',
    `export const tenancyInstallCheck = [${frontend
      .map((_, i) => `plugin${i}`)
      .join(', ')}];`,
    '',
  );
  writeJson(appPkgFile, appPkg);
  fs.writeFileSync(
    path.join(appDir, 'packages/app/src/tenancyInstallCheck.ts'),
    lines.join('\n'),
  );
}

// --- config -----------------------------------------------------------------
const config = fs
  .readFileSync(path.join(here, 'app-config.yaml'), 'utf8')
  .replaceAll('__PORT__', args.port)
  .replaceAll('__CLUSTER_PORT__', args['cluster-port']);
fs.writeFileSync(path.join(appDir, 'app-config.local.yaml'), config);

// --- what the probe expects -------------------------------------------------
// The action ids: the READMEs' "action id" tables and the *_ACTION_ID
// constants of the scaffolder modules' source.
const actions = new Set();
for (const p of index) {
  if (p.pluginId !== 'scaffolder' || !backendRoles.has(p.role)) continue;
  const pkgActions = new Set();
  const readme = path.join(repo, p.dir, 'README.md');
  if (fs.existsSync(readme)) {
    const lines = fs.readFileSync(readme, 'utf8').split('\n');
    let inTable = false;
    for (const l of lines) {
      if (/^\|\s*action id\s*\|/i.test(l)) inTable = true;
      else if (inTable && !l.startsWith('|')) inTable = false;
      else if (inTable) {
        const m = /^\|\s*`([a-z0-9:-]+)`\s*\|/i.exec(l);
        if (m) pkgActions.add(m[1]);
      }
    }
  }
  const walk = d =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap(e =>
        e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)],
      );
  const src = path.join(repo, p.dir, 'src');
  for (const f of fs.existsSync(src) ? walk(src) : []) {
    if (!/\.ts$/.test(f) || /\.test\.ts$/.test(f)) continue;
    for (const m of fs
      .readFileSync(f, 'utf8')
      .matchAll(/export const \w*ACTION_ID\s*=\s*'([^']+)'/g)) {
      pkgActions.add(m[1]);
    }
  }
  if (pkgActions.size === 0) {
    problems.push(
      `found no action ids for ${p.name} (README "action id" table or *_ACTION_ID constants)`,
    );
  }
  pkgActions.forEach(a => actions.add(a));
}
writeJson(path.join(appDir, 'install-test.json'), {
  actions: [...actions].sort(),
  cluster: { name: 'install-test-dev', environment: 'dev' },
  backendPackages: added,
  frontendPackages: frontend.map(p => p.name),
});

console.log(
  `  packages/backend/src/index.ts, from the READMEs of ${added.join(', ')}:`,
);
for (const s of statements)
  console.log(`    ${s.code.replace(/\s*\n\s*/g, ' ')}`);
for (const s of imports) console.log(`    ${s.replace(/\s*\n\s*/g, ' ')}`);
console.log(
  `  packages/app: ${
    frontend.map(p => p.name).join(', ') || '(no frontend plugin)'
  }`,
);
console.log(`  scaffolder actions expected: ${[...actions].sort().join(', ')}`);
if (problems.length) {
  console.error(problems.map(p => `  - ${p}`).join('\n'));
  process.exit(1);
}
