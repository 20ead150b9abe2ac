import type { Generator } from '../../generators/generator.ts';
import type { LolGenerator, Match } from '../../generators/lol.ts';
import { defineOutput, field, roundTo, type RowOf } from '../output.ts';

const fields = {
  match_id: field.text('metadata.matchId, e.g. EUW1_6000000123.'),
  participant_id: field.integer('participantId, 1..10.'),
  game_creation: field.timestamp('info.gameCreation.'),
  game_duration: field.integer('info.gameDuration, seconds.'),
  summoner_name: field.text('summonerName.'),
  champion_name: field.text('championName.'),
  team_id: field.integer('teamId, 100 or 200.'),
  position: field.text('teamPosition.'),
  win: field.boolean("Whether the participant's team won."),
  kills: field.integer('kills.'),
  deaths: field.integer('deaths.'),
  assists: field.integer('assists.'),
  kda: field.derived('(kills + assists) / deaths, or kills + assists without deaths (seed 002).', 2),
  total_damage_dealt: field.bigint('totalDamageDealtToChampions.'),
  gold_earned: field.integer('goldEarned.'),
  cs: field.integer('totalMinionsKilled + neutralMinionsKilled.'),
  vision_score: field.integer('visionScore.'),
  gold_per_minute: field.derived('goldEarned per minute of gameDuration.', 2),
  damage_per_minute: field.derived('totalDamageDealtToChampions per minute.', 2),
  cs_per_minute: field.derived('cs per minute.', 2),
} as const;

export type LolRow = RowOf<typeof fields>;

/** Seed 002's flattened participants: ten rows per match, keyed by (match_id, participant_id). */
export const lolOutput = defineOutput({
  dataset: 'lol',
  fields,
  key: ['match_id', 'participant_id'],
  recordKey: 'match_id',
  rowsPerRecord: 10,
  slotOf: (row) => {
    const id = row.participant_id;
    return typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= 10 ? id - 1 : null;
  },
  expectedRows(generator, origin, plan) {
    if (!isLolGenerator(generator)) throw new TypeError(`the lol output needs the lol generator, got ${generator.dataset}'s`);
    return participantRows(generator.emitted(origin, plan));
  },
});

/**
 * Told apart by dataset, not by class: the statistics declared over these rows (and so the scenario
 * schema, which names where a sink keeps them) load without the generator and its Faker pools.
 */
function isLolGenerator(generator: Generator): generator is LolGenerator {
  return generator.dataset === 'lol';
}

/**
 * A match's participant rows with seed 002's derived metrics. The reference pipeline applies it to
 * a validated document, the verifier to the generator's match.
 */
export function participantRows(match: Match): LolRow[] {
  const { info } = match;
  const minutes = info.gameDuration / 60;
  return info.participants.map((p) => {
    const cs = p.totalMinionsKilled + p.neutralMinionsKilled;
    return {
      match_id: match.metadata.matchId,
      participant_id: p.participantId,
      game_creation: info.gameCreation,
      game_duration: info.gameDuration,
      summoner_name: p.summonerName,
      champion_name: p.championName,
      team_id: p.teamId,
      position: p.teamPosition,
      win: p.win,
      kills: p.kills,
      deaths: p.deaths,
      assists: p.assists,
      kda: roundTo(p.deaths === 0 ? p.kills + p.assists : (p.kills + p.assists) / p.deaths, 2),
      total_damage_dealt: p.totalDamageDealtToChampions,
      gold_earned: p.goldEarned,
      cs,
      vision_score: p.visionScore,
      gold_per_minute: roundTo(p.goldEarned / minutes, 2),
      damage_per_minute: roundTo(p.totalDamageDealtToChampions / minutes, 2),
      cs_per_minute: roundTo(cs / minutes, 2),
    };
  });
}
