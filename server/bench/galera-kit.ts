/**
 * The 3-node Galera cluster of scripts/galera-up.sh and the HAProxy of scripts/galera-lb.sh, for the benches that run
 * on it (`npm run chaos:galera`, `npm run bench:api -- --galera`): bring them up, SIGKILL a node and bring it back,
 * read each node's state, and compare table checksums across the nodes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { sleep } from './bench-kit';

export const GALERA_DIR = process.env.GALERA_DIR ?? '/tmp/lifeline-galera';
/** Node k's own SQL port, and the load balancer's port that prefers node k (the others as backups). */
export const NODE_PORTS = [4306, 4307, 4308];
export const LB_PORTS = [4316, 4317, 4318];
const USER = { user: 'lifeline', password: 'lifeline' };

/** Runs one of the scripts/ shell scripts; its stdout's last lines are the URLs it prints. */
export async function runScript(root: string, script: string, args: string[] = []): Promise<{ ms: number; out: string }> {
  const t = Date.now();
  const child = spawn('bash', [path.join(root, 'scripts', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => void (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => void (err += b.toString('utf8')));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`scripts/${script} ${args.join(' ')} failed (${code}):\n${err.slice(-3000)}`);
  return { ms: Date.now() - t, out };
}

/** The cluster and its load balancer up (both idempotent); the URLs of the load balancer's three ports. */
export async function galeraUp(root: string): Promise<{ clusterMs: number; lbMs: number }> {
  const cluster = await runScript(root, 'galera-up.sh');
  const lb = await runScript(root, 'galera-lb.sh', ['up']);
  return { clusterMs: cluster.ms, lbMs: lb.ms };
}

/** mariadbd's pid of node k (0-based), from the pid file galera-up.sh writes. */
export function nodePid(k: number): number {
  return Number(fs.readFileSync(path.join(GALERA_DIR, `n${k + 1}`, `n${k + 1}.pid`), 'utf8').trim());
}

/** SIGKILL node k's mariadbd (no shutdown: what a crashed machine does) and wait until it is gone. */
export async function killNode(k: number): Promise<void> {
  const pid = nodePid(k);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200 && fs.existsSync(`/proc/${pid}`) && !isZombie(pid); i++) await sleep(50);
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

export interface NodeState {
  port: number;
  up: boolean;
  size: number;
  state: string;
  ready: boolean;
  lastCommitted: number;
}

/** What node k says of itself and the cluster (down: `up` false). */
export async function nodeState(k: number): Promise<NodeState> {
  const port = NODE_PORTS[k];
  let c: mysql.Connection | undefined;
  try {
    c = await mysql.createConnection({ host: '127.0.0.1', port, ...USER, connectTimeout: 2000 });
    const [rows] = (await c.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_local_state_comment','wsrep_ready','wsrep_last_committed')",
    )) as any;
    const v = Object.fromEntries(rows.map((r: any) => [r.Variable_name, r.Value]));
    return {
      port,
      up: true,
      size: Number(v.wsrep_cluster_size),
      state: String(v.wsrep_local_state_comment),
      ready: v.wsrep_ready === 'ON',
      lastCommitted: Number(v.wsrep_last_committed),
    };
  } catch {
    return { port, up: false, size: 0, state: 'down', ready: false, lastCommitted: -1 };
  } finally {
    await c?.end().catch(() => undefined);
  }
}

/** Until every node is Synced in a cluster of three and has applied the same last transaction (or the timeout). */
export async function waitSynced(timeoutMs = 120_000): Promise<NodeState[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(NODE_PORTS.map((_, k) => nodeState(k)));
    const synced = states.every((s) => s.up && s.ready && s.size === 3 && s.state === 'Synced');
    if ((synced && new Set(states.map((s) => s.lastCommitted)).size === 1) || Date.now() > deadline) return states;
    await sleep(500);
  }
}

/** `CHECKSUM TABLE` of every table of `database` on every node: the tables whose checksums differ between nodes. */
export async function checksumDiffs(database: string): Promise<{ tables: number; differing: string[] }> {
  const perNode: Map<string, string>[] = [];
  for (const port of NODE_PORTS) {
    const c = await mysql.createConnection({ host: '127.0.0.1', port, ...USER, database });
    try {
      const [tables] = (await c.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [database])) as any;
      const sums = new Map<string, string>();
      for (const { t } of tables) {
        const [[row]] = (await c.query(`CHECKSUM TABLE \`${t}\``)) as any;
        sums.set(String(t), String(row.Checksum));
      }
      perNode.push(sums);
    } finally {
      await c.end();
    }
  }
  const names = [...new Set(perNode.flatMap((m) => [...m.keys()]))];
  const differing = names
    .filter((t) => new Set(perNode.map((m) => m.get(t) ?? 'missing')).size > 1)
    .map((t) => `${t}: ${perNode.map((m) => m.get(t)).join(' / ')}`);
  return { tables: names.length, differing };
}

/** `mysql://lifeline:lifeline@127.0.0.1:<port>/<database>`. */
export const urlAt = (port: number, database: string) => `mysql://lifeline:lifeline@127.0.0.1:${port}/${database}`;
