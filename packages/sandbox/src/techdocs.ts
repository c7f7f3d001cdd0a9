import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, stateDir } from './paths';
import type { Log } from './types';
import { ensureVenv } from './venv';
import { versions } from './versions';

/** The sandbox's `mkdocs` (TechDocs generator), once `up` has linked it. */
export function mkdocsPath(): string {
  return path.join(stateDir(), 'bin', 'mkdocs');
}

/**
 * The portal builds a service's TechDocs with `mkdocs` (techdocs.generator
 * runIn: local; there is no Docker engine here). A venv in the cache holds
 * mkdocs-techdocs-core; `<state>/bin/mkdocs` links to it, and the scripts
 * that start the portal put `<state>/bin` first on its PATH.
 */
async function linkTechdocsGenerator(log: Log): Promise<void> {
  const venv = await ensureVenv({
    cacheDir: cacheDir(),
    name: `techdocs-core-${versions.techdocsCore}`,
    requirement: `mkdocs-techdocs-core==${versions.techdocsCore}`,
    executable: 'mkdocs',
    log,
  });
  const link = mkdocsPath();
  fs.mkdirSync(path.dirname(link), { recursive: true });
  // Replaced atomically: a running portal never finds it missing.
  const temporary = `${link}.${process.pid}`;
  fs.rmSync(temporary, { force: true });
  fs.symlinkSync(path.resolve(venv, 'bin', 'mkdocs'), temporary);
  fs.renameSync(temporary, link);
}

/**
 * Links the TechDocs generator, or warns: only TechDocs needs it, so without
 * it the sandbox still comes up.
 */
export async function ensureTechDocs(log: Log): Promise<void> {
  await linkTechdocsGenerator(log).catch(error =>
    log(
      `WARNING: no TechDocs generator, so the portal cannot build docs: ${
        error instanceof Error ? error.message : String(error)
      }`,
    ),
  );
}
