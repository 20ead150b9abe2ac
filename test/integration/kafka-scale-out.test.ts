import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { describeIfKafkaBroker, kafkaBootstrap, uniqueTopic } from '../helpers/kafka.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

const root = join(import.meta.dirname, '../..');

/**
 * 3,000 matches in 6 partitions (about 500 each). Each process writes at most 1,000 rows (100
 * matches) a second, so two processes take about 15 s alone: long enough for a third to join and
 * one to be killed while every process still has partitions to read.
 */
function scaleOutScenario(topic: string, schema: string): string {
  return [
    'name: scale-out',
    'seed: 31',
    `transport: { type: kafka, topics: { lol: { name: ${topic}, partitions: 6 } }, batchSize: 500 }`,
    'pipeline: { type: reference, batchSize: 100, pollInterval: 20ms, faults: { maxRowsPerSec: 1000 } }',
    `sink: { schema: ${schema} }`,
    'datasets:',
    '  lol: { count: 3000, rate: 0, faults: { duplicate: 0.03, malformed: 0.05, future: 0.01, late: 0.02 } }',
  ].join('\n');
}

/** A batch a process committed, from its --verbose line: the partition, the offsets [from, to), and when it was seen. */
interface Committed {
  partition: number;
  from: number;
  to: number;
  atMs: number;
}

/** One `harness pipeline` process, its batches as they are committed. */
class Member {
  readonly child: ChildProcessWithoutNullStreams;
  readonly batches: Committed[] = [];
  readonly exited: Promise<number | null>;
  output = '';

  constructor(runDir: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli/bin.ts'), 'pipeline', '--run', runDir, '--verbose'], { cwd: root, env });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    let pending = '';
    this.child.stdout.on('data', (chunk: Buffer) => (this.output += String(chunk)));
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.output += String(chunk);
      pending += String(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // [lol] batch 4: 100 records, 95 valid, 5 dlq, 10 duplicates, 512 ms, 195 rec/s (topic:3:400)
        const match = / batch \d+: (\d+) records, .*\(.+:(\d+):(\d+)\)$/.exec(line);
        if (match) this.batches.push({ partition: Number(match[2]), from: Number(match[3]) - Number(match[1]), to: Number(match[3]), atMs: Date.now() });
      }
    });
  }

  /** Resolves once the process has committed a batch after `sinceMs`; fails if it exits first. */
  async committedAfter(sinceMs: number, timeoutMs = 60_000): Promise<void> {
    const giveUpAt = Date.now() + timeoutMs;
    while (!this.batches.some((b) => b.atMs > sinceMs)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the pipeline exited before it committed a batch:\n${this.output}`);
      if (Date.now() > giveUpAt) throw new Error(`no batch committed within ${timeoutMs} ms:\n${this.output}`);
      await sleep(50);
    }
  }
}

/** The first of `members` to commit, after `sinceMs`, a batch that leaves its partition unfinished. */
async function midPartition(members: Member[], sinceMs: number, end: Record<string, number>, timeoutMs = 60_000): Promise<Member> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const found = members.find((m) => m.batches.some((b) => b.atMs > sinceMs && b.to < end[b.partition]!));
    if (found) return found;
    if (Date.now() > giveUpAt) throw new Error(`no process committed mid-partition within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** The sink's checkpoint per partition (`topic:p` -> offset). */
async function checkpoints(schema: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ source: string; position: string }>(
      `SELECT source, position FROM "${schema}".harness_checkpoints WHERE dataset = 'lol'`,
    );
    return new Map(rows.map((r) => [Number(r.source.slice(r.source.lastIndexOf(':') + 1)), Number(r.position)]));
  } finally {
    await client.end();
  }
}

describeIfKafkaBroker('harness pipeline scaled out over a consumer group (Apache Kafka broker)', () => {
  describeIfPostgres('into the PostgreSQL server', () => {
    it('6 partitions, 2 processes, a third joining, one killed with -9: its partitions resume from the sink, nothing lost or doubled', async () => {
      const cwd = tempDir();
      const schema = uniqueSchema();
      const env = { ...process.env, KAFKA_BROKERS: kafkaBootstrap(), PG_URL };
      const members: Member[] = [];
      try {
        const path = writeScenario(cwd, scaleOutScenario(uniqueTopic('scale'), schema));
        // The tables first, then the records: --shard 1/1 produces the whole run and leaves the pipeline to `harness pipeline`.
        expect((await runCli(['sink', 'init', path], { cwd, env })).code).toBe(ExitCode.ok);
        const run = await runCli(['run', path, '--shard', '1/1', '--no-verify', '--quiet'], { cwd, env });
        expect(run.code, run.stderr).toBe(ExitCode.ok);
        const runDir = latestRunDir(join(cwd, '.harness'));
        const manifest = loadManifest(runDir);
        if (manifest.transport.type !== 'kafka') throw new Error('expected a kafka transport');
        const end = manifest.transport.topics.lol!.end;
        expect(Object.keys(end)).toHaveLength(6);

        const [first, second] = [new Member(runDir, env), new Member(runDir, env)];
        members.push(first, second);
        await Promise.all([first.committedAfter(0), second.committedAfter(0)]);
        // A third joins mid-run: the group rebalances and gives it partitions of the first two.
        const third = new Member(runDir, env);
        members.push(third);
        const joinedAtMs = Date.now();
        await third.committedAfter(joinedAtMs);
        // One of them, still at work after the rebalance and in the middle of a partition, dies
        // without a word. Mid-partition: a process whose partitions are all finished (seen in CI)
        // would leave nothing for the others to take over.
        const victim = await midPartition(members, third.batches[0]!.atMs, end);
        const survivors = members.filter((m) => m !== victim);
        victim.child.kill('SIGKILL');
        await victim.exited;
        const killedAtMs = Date.now();
        expect(victim.child.signalCode).toBe('SIGKILL');

        // Its partitions stay where it left them until the group notices (sessionTimeout, 10 s):
        // those that do not move while the other two go on are the orphans.
        const atKill = await checkpoints(schema);
        // The survivors hold the schema: another run on it is refused, though one holder is gone.
        const other = writeScenario(cwd, scaleOutScenario(uniqueTopic('other'), schema), 'other.yaml');
        const refused = await runCli(['run', other, '--quiet'], { cwd, env });
        expect(refused.code, refused.stderr).toBe(ExitCode.usage);
        expect(refused.stderr).toContain(`schema ${schema}`);
        expect(refused.stderr).toContain(`harness pipeline ${manifest.runId}`);
        await sleep(Math.max(0, killedAtMs + 5000 - Date.now()));
        const later = await checkpoints(schema);
        // A partition nobody has committed yet sits at the run's start offset.
        const start = manifest.transport.topics.lol!.start;
        const at = (checkpoints: Map<number, number>, p: number) => checkpoints.get(p) ?? start[p]!;
        const orphans = Object.keys(end)
          .map(Number)
          .filter((p) => at(atKill, p) < end[p]! && at(later, p) === at(atKill, p));
        expect(orphans.length, `partitions left unfinished by the killed process; checkpoints at the kill ${JSON.stringify([...atKill])}`).toBeGreaterThan(0);

        for (const survivor of survivors) expect(await survivor.exited, survivor.output).toBe(0);
        // Each orphan was taken over at a checkpoint committed to the sink before the kill: never past
        // the last one (that would skip rows), never from a position nobody committed (the group's
        // offsets, or a survivor's memory of the partition from before the third joined). Usually
        // exactly the last one; an earlier one when the partition was still being handed over and
        // the new owner read the sink before the previous owner's last batch of it landed: the
        // killed process's, or (seen once in CI) the owner before it, from the third's join (its
        // rows are then duplicates the key absorbs).
        const afterKill = survivors.flatMap((m) => m.batches).filter((b) => b.atMs > killedAtMs);
        for (const p of orphans) {
          const takeover = afterKill.filter((b) => b.partition === p).sort((a, b) => a.atMs - b.atMs)[0];
          expect(takeover, `partition ${p} was never taken over`).toBeDefined();
          expect(takeover!.from, `partition ${p}`).toBeLessThanOrEqual(at(atKill, p));
          const committedBefore = members
            .flatMap((m) => m.batches)
            .filter((b) => b.partition === p && b.atMs <= killedAtMs)
            .map((b) => b.to);
          expect([at(atKill, p), ...committedBefore], `partition ${p}: taken over at ${takeover!.from}`).toContain(takeover!.from);
        }
        // Every partition ends at the run's end offset in the sink.
        const final = await checkpoints(schema);
        for (const [p, offset] of Object.entries(end)) expect(final.get(Number(p)), `partition ${p}`).toBe(offset);

        // One verdict over everything the three wrote.
        const verify = await runCli(['verify', '--run', runDir, '--json'], { cwd, env });
        const report = JSON.parse(verify.stdout) as Report;
        const figures = (check: string) => report.checks.find((c) => c.name === check)?.figures;
        expect(figures('exactly-once')).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0 });
        expect(figures('dlq-capture')).toMatchObject({ missed: 0, validDeadLettered: 0 });
        expect(figures('aggregates')).toMatchObject({ groupsWrong: 0 });
        expect(verify.code, verify.stdout).toBe(ExitCode.ok);
        // The processes that finished add their figures together in the manifest.
        const recorded = loadManifest(runDir).pipeline;
        expect(recorded?.completed).toBe(true);
        expect(recorded?.datasets.lol?.batches).toBe(survivors.reduce((n, m) => n + m.batches.length, 0));
      } finally {
        for (const member of members) member.child.kill('SIGKILL');
        await dropSchema(schema);
      }
    });

    it('started while the run still produces, waits for its end offsets, then drains all of it', async () => {
      const cwd = tempDir();
      const schema = uniqueSchema();
      const env = { KAFKA_BROKERS: kafkaBootstrap(), PG_URL };
      try {
        // Paced: 600 matches at 150/s take four seconds to produce, in produce requests of 100: the
        // first is sent after 0.7 s, which leaves the pipeline three seconds to start meanwhile.
        const live = scaleOutScenario(uniqueTopic('live'), schema)
          .replace('count: 3000, rate: 0', 'count: 600, rate: 150')
          .replace('batchSize: 500 }', 'batchSize: 100 }');
        const path = writeScenario(cwd, live);
        expect((await runCli(['sink', 'init', path], { cwd, env })).code).toBe(ExitCode.ok);
        const run = runCli(['run', path, '--shard', '1/1', '--quiet'], { cwd, env });
        let runDir = '';
        const giveUpAt = Date.now() + 30_000;
        while (runDir === '') {
          try {
            const dir = latestRunDir(join(cwd, '.harness'));
            const manifest = loadManifest(dir);
            if (manifest.transport.type === 'kafka' && manifest.transport.topics.lol && (manifest.datasets.lol?.records ?? 0) > 0) runDir = dir;
          } catch {
            // Not written yet.
          }
          if (Date.now() > giveUpAt) throw new Error('the run never started producing');
          await sleep(50);
        }
        const pipeline = await runCli(['pipeline', '--run', runDir], { cwd, env });
        expect((await run).code).toBe(ExitCode.ok);
        expect(pipeline.code, pipeline.stderr).toBe(ExitCode.ok);
        expect(loadManifest(runDir).pipeline?.datasets.lol?.records).toBe(600);
        expect(pipeline.stderr).toContain('waiting for the generation to finish');
        const verify = await runCli(['verify', '--run', runDir, '--json'], { cwd, env });
        expect(verify.code, verify.stdout).toBe(ExitCode.ok);
      } finally {
        await dropSchema(schema);
      }
    });
  });
});
