import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * A new PGlite database starts as a copy of an empty one instead of running initdb: initdb took
 * 5.3 s (7.3 s of CPU) here, opening a copy 1.2 s, and every `harness run` on the embedded default
 * and many tests create one. The first database this user creates with this PGlite version is
 * checkpointed and its directory copied (about 40 MB, before any table) under the system's
 * temporary directory; later ones start from a copy of that. PGlite's own dump (`dumpDataDir`) was
 * not used: building the tar in memory took the main job's first run past 1 GiB. A template that
 * does not open is removed, and initdb runs. `HARNESS_PGLITE_TEMPLATE` names another directory, or
 * `off` to always run initdb.
 */
export async function createPglite(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<PGlite> {
  // An existing cluster is opened as it is.
  if (existsSync(join(dataDir, 'PG_VERSION'))) return PGlite.create(dataDir);
  const template = templatePath(env);
  if (template === null) return PGlite.create(dataDir);
  if (existsSync(join(template, 'PG_VERSION'))) {
    try {
      cpSync(template, dataDir, { recursive: true });
      return await PGlite.create(dataDir);
    } catch {
      rmSync(template, { recursive: true, force: true });
      // What the failed copy left behind must not look like a cluster to initdb.
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true });
    }
  }
  const db = await PGlite.create(dataDir);
  await saveTemplate(db, dataDir, template);
  return db;
}

/** Where the template of this PGlite version is kept for this user; null when templates are off. */
export function templatePath(env: NodeJS.ProcessEnv): string | null {
  const chosen = env.HARNESS_PGLITE_TEMPLATE;
  if (chosen === 'off') return null;
  if (chosen) return chosen;
  return join(tmpdir(), `harness-pglite-${pgliteVersion()}-${process.getuid?.() ?? 'user'}`);
}

/** The installed PGlite's version, from its package.json (which its exports map does not expose): found above its entry point. */
function pgliteVersion(): string {
  for (let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (name === '@electric-sql/pglite' && version) return version;
  }
  throw new Error('@electric-sql/pglite: no package.json above its entry point');
}

/**
 * The new cluster, checkpointed so its files hold everything, copied to a directory of its own and
 * renamed into place, so a reader never sees half a template.
 */
async function saveTemplate(db: PGlite, dataDir: string, template: string): Promise<void> {
  const partial = `${template}.${process.pid}.${Date.now()}`;
  try {
    await db.exec('CHECKPOINT');
    cpSync(dataDir, partial, { recursive: true });
    renameSync(partial, template);
  } catch {
    // A template is only a saving: without one (a full or read-only disk, or another process's
    // template renamed into place first) the next database runs initdb or uses that one.
    rmSync(partial, { recursive: true, force: true });
  }
}
