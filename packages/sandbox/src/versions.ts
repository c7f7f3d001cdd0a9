/**
 * Pinned versions of everything the sandbox builds or installs. Bumping one
 * rebuilds just that component on the next `up` (binaries are cached by
 * version under ~/.cache/tenancy/bin).
 */
export const versions = {
  kubernetes: 'v1.34.4',
  etcd: 'v3.6.16',
  kwok: 'v0.8.0',
  moto: '5.2.5',
  /** TechDocs' mkdocs plugin bundle (PyPI): what the portal builds docs with. */
  techdocsCore: '1.7.1',
  /** code.gitea.io/gitea; stay on <= 1.26 (1.27 renames the module). */
  gitea: 'v1.26.4',
} as const;
