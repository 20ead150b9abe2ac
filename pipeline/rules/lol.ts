import { isUtf8 } from 'node:buffer';
import { messageOf } from '../../core/errors.ts';
import type { Match } from '../../generators/lol.ts';
import { lolOutput, participantRows } from './lol-output.ts';
import { defineRules, recordText, reject, type DatasetRules, type ValidationContext, type Verdict } from './rules.ts';
import { describeTime } from './timestamp.ts';

const statFields = [
  'kills',
  'deaths',
  'assists',
  'totalDamageDealtToChampions',
  'goldEarned',
  'totalMinionsKilled',
  'neutralMinionsKilled',
  'visionScore',
] as const;
const textFields = ['summonerName', 'championName', 'teamPosition'] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Riot match-v5 matches: parsable, required fields typed, not from the future, gameDuration > 0,
 * 10 participants with distinct ids in two teams of five and exactly one winning team,
 * non-negative stats. A valid match becomes ten participant rows with seed 002's derived metrics,
 * each value within its column (defineRules: kills 3e9, gameDuration 1800.5 or gameCreation -9e15
 * are `out_of_range`). JSON.parse decides what a document is: a duplicate key keeps its last value,
 * 1e400 is Infinity (not a number here), NaN is no JSON at all. A leading BOM and a trailing CR are
 * not part of the document (recordText).
 */
export const lolRules: DatasetRules = defineRules({
  dataset: 'lol',
  output: lolOutput,
  validateBatch(lines, context) {
    return lines.map((bytes) => validateMatch(recordText(bytes), context));
  },
});

function validateMatch(bytes: Buffer, context: ValidationContext): Verdict {
  if (!isUtf8(bytes)) return reject('invalid_utf8', 'the document is not valid UTF-8');
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return reject('json_parse', messageOf(error));
  }
  if (!isObject(doc) || !isObject(doc.metadata) || !isObject(doc.info)) {
    return reject('missing_field', 'metadata or info is missing');
  }
  const { metadata, info } = doc;
  if (metadata.matchId === undefined) return reject('missing_field', 'metadata.matchId is missing');
  if (typeof metadata.matchId !== 'string' || metadata.matchId === '') return reject('wrong_type', 'metadata.matchId is not a string');
  for (const field of ['gameCreation', 'gameDuration'] as const) {
    if (info[field] === undefined) return reject('missing_field', `info.${field} is missing`);
    if (typeof info[field] !== 'number' || !Number.isFinite(info[field])) return reject('wrong_type', `info.${field} is not a number`);
  }
  if (!Array.isArray(info.participants)) return reject('missing_field', 'info.participants is missing');
  const created = info.gameCreation as number;
  const duration = info.gameDuration as number;
  if (created > context.nowMs + context.futureToleranceMs) {
    return reject('future_timestamp', `gameCreation ${describeTime(created)} is in the future`);
  }
  if (duration <= 0) return reject('invalid_duration', `gameDuration ${duration} is not positive`);
  const participants = info.participants as unknown[];
  if (participants.length !== 10) return reject('participant_count', `${participants.length} participants, expected 10`);
  for (const p of participants) {
    const problem = participantProblem(p);
    if (problem) return problem;
  }
  const players = participants as Json[];
  const ids = new Set(players.map((p) => p.participantId));
  if (ids.size !== 10) return reject('duplicate_participant', 'participantId values are not distinct');
  const teams = new Map<number, { size: number; wins: number }>();
  for (const p of players) {
    const team = teams.get(p.teamId as number) ?? { size: 0, wins: 0 };
    team.size++;
    if (p.win) team.wins++;
    teams.set(p.teamId as number, team);
  }
  const teamList = [...teams.values()];
  const winners = teamList.filter((t) => t.wins === t.size).length;
  if (teams.size !== 2 || teamList.some((t) => t.size !== 5 || (t.wins !== 0 && t.wins !== t.size)) || winners !== 1) {
    return reject('team_structure', 'expected two teams of five and exactly one winning team');
  }
  for (const p of players) {
    const negative = statFields.find((field) => (p[field] as number) < 0);
    if (negative) return reject('negative_stat', `participant ${String(p.participantId)} has ${negative} ${String(p[negative])}`);
  }
  // Every field participantRows reads has been checked above.
  return { ok: true, rows: participantRows(doc as unknown as Match) };
}

function participantProblem(p: unknown): Verdict | null {
  if (!isObject(p)) return reject('wrong_type', 'a participant is not an object');
  for (const field of ['participantId', 'teamId', ...statFields] as const) {
    if (p[field] === undefined) return reject('missing_field', `participant.${field} is missing`);
    if (typeof p[field] !== 'number' || !Number.isInteger(p[field])) return reject('wrong_type', `participant.${field} is not an integer`);
  }
  for (const field of textFields) {
    if (typeof p[field] !== 'string') return reject('wrong_type', `participant.${field} is not a string`);
  }
  if (typeof p.win !== 'boolean') return reject('wrong_type', 'participant.win is not a boolean');
  return null;
}
