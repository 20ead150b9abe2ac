import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of the test's own (Debian's postgresql-common: pg_createcluster), on a free
 * port, that the test may restart, stop and drop: never the machine's shared server. TCP logins need
 * a password (scram-sha-256), so tests can also fail to authenticate; the test's own setup logs in
 * over the Unix socket (trust).
 */
export interface ThrowawayCluster {
  readonly name: string;
  readonly port: number;
  readonly password: string;
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres, or with another password. */
  url(password?: string): string;
  /** pg_ctlcluster <action> (fast shutdown: the harness's sessions do not hold it up). */
  ctl(action: 'restart' | 'stop' | 'start'): Promise<void>;
  drop(): Promise<void>;
}

const SOCKET_DIR = '/var/run/postgresql';

/** Why a throwaway cluster cannot be made here, or null when it can. */
export function throwawayClusterUnavailable(): string | null {
  if (!existsSync('/usr/bin/pg_createcluster')) return 'pg_createcluster not found (Debian postgresql-common)';
  if (process.getuid?.() !== 0) return 'creating a cluster needs root (pg_createcluster runs initdb as the postgres user)';
  if (!existsSync('/usr/lib/postgresql') || installedVersion() === null) return 'no PostgreSQL server binaries under /usr/lib/postgresql';
  return null;
}

function installedVersion(): string | null {
  const versions = readdirSync('/usr/lib/postgresql').filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`));
  return versions.sort((a, b) => Number(b) - Number(a))[0] ?? null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function createThrowawayCluster(): Promise<ThrowawayCluster> {
  const version = installedVersion() as string;
  const name = `harness_${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const ctl = async (action: 'restart' | 'stop' | 'start') => {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, action, ...(action === 'start' ? [] : ['-m', 'fast'])]);
  };
  await run('pg_createcluster', [version, name, '-p', String(port), '--start', '--', '--auth-local=trust', '--auth-host=scram-sha-256']);
  const cluster: ThrowawayCluster = {
    name,
    port,
    password,
    url: (pw = password) => `postgres://postgres:${encodeURIComponent(pw)}@127.0.0.1:${port}/postgres`,
    ctl,
    async drop() {
      await run('pg_dropcluster', ['--stop', version, name]).catch(() => {});
    },
  };
  try {
    const admin = new pg.Client({ host: SOCKET_DIR, port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`ALTER USER postgres PASSWORD '${password}'`);
    await admin.end();
  } catch (error) {
    await cluster.drop();
    throw error;
  }
  return cluster;
}
