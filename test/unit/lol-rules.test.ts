import { describe, expect, it } from 'vitest';
import { noFaults } from '../../generators/faults.ts';
import type { Match } from '../../generators/lol.ts';
import { lolRules } from '../../pipeline/rules/lol.ts';
import { generator } from '../helpers/generated.ts';

const context = { nowMs: Date.now(), futureToleranceMs: 3_600_000 };

describe('LoL rules and transform (seed 002)', () => {
  const clean = generator('lol', 5, noFaults);

  it('flattens a valid match into ten participant rows with KDA and per-minute metrics', () => {
    const match = JSON.parse(String(clean.payload(3))) as Match;
    const [verdict] = lolRules.validateBatch([Buffer.from(JSON.stringify(match))], context);
    expect(verdict?.ok).toBe(true);
    if (!verdict?.ok) return;
    expect(verdict.rows).toHaveLength(10);
    expect(verdict.rows[0]).toMatchObject({ match_id: match.metadata.matchId, participant_id: 1 });
    const p = match.info.participants[0]!;
    const minutes = match.info.gameDuration / 60;
    const row = verdict.rows[0]!;
    const kda = p.deaths === 0 ? p.kills + p.assists : (p.kills + p.assists) / p.deaths;
    expect(row.kda).toBeCloseTo(Math.round(kda * 100) / 100, 5);
    expect(row.cs).toBe(p.totalMinionsKilled + p.neutralMinionsKilled);
    expect(row.gold_per_minute).toBeCloseTo(Math.round((p.goldEarned / minutes) * 100) / 100, 5);
    expect(row.cs_per_minute).toBeCloseTo(Math.round(((p.totalMinionsKilled + p.neutralMinionsKilled) / minutes) * 100) / 100, 5);
    expect(row.game_creation).toBe(match.info.gameCreation);
  });

  it('uses kills + assists as KDA when a player never died', () => {
    const match = JSON.parse(String(clean.payload(3))) as Match;
    const p = match.info.participants[0]!;
    p.deaths = 0;
    const [verdict] = lolRules.validateBatch([Buffer.from(JSON.stringify(match))], context);
    // Changing deaths breaks no rule: the transform alone must handle it.
    expect(verdict?.ok && verdict.rows[0]!.kda).toBe(p.kills + p.assists);
  });

  it('rejects a match with two winning teams', () => {
    const match = JSON.parse(String(clean.payload(8))) as Match;
    for (const p of match.info.participants) p.win = true;
    const [verdict] = lolRules.validateBatch([Buffer.from(JSON.stringify(match))], context);
    expect(verdict).toMatchObject({ ok: false, reason: 'team_structure' });
  });
});
