import { defineStatistic, measure, statisticField as f, type StatisticSpec } from '../statistics.ts';
import { lolOutput } from './lol-output.ts';

/**
 * Seed 002's `calculate_champion_stats` and `calculate_position_stats` over the participant rows,
 * per 5-minute event-time window of game_creation (seed 002's streaming window) and in total.
 * Averages of the 2-decimal derived metrics average the rounded metrics, as seed 002 does.
 */
const WINDOW_MS = 5 * 60_000;

/** What the statistics accumulate; the 2-decimal derived metrics are summed in hundredths. */
const measures = {
  games: measure.count(),
  wins: measure.sum('win'),
  kills: measure.sum('kills'),
  deaths: measure.sum('deaths'),
  assists: measure.sum('assists'),
  kda: measure.sum('kda', 2),
  gpm: measure.sum('gold_per_minute', 2),
  dpm: measure.sum('damage_per_minute', 2),
  cspm: measure.sum('cs_per_minute', 2),
};

/** An average per game of a measure. */
const average = <M extends string>(what: string, of: M) => f.ratio<M | 'games'>(`Average ${what} per game.`, of, 'games', { decimals: 2 });

export const championStatistics = defineStatistic(lolOutput, {
  name: 'champion',
  description: 'Per champion (champion_name): games, wins, win rate and average KDA, gold, damage and cs per minute.',
  table: 'lol_champion_stats',
  groupBy: 'champion_name',
  eventTime: 'game_creation',
  windowMs: WINDOW_MS,
  measures,
  fields: {
    games_played: f.count('Participant rows of the champion: games played.', 'games'),
    wins: f.count('Games won.', 'wins'),
    win_rate: f.ratio('wins / games_played x 100, rounded to 2 decimals (seed 002).', 'wins', 'games', { scale: 100, decimals: 2, round: true }),
    avg_kills: average('kills', 'kills'),
    avg_deaths: average('deaths', 'deaths'),
    avg_assists: average('assists', 'assists'),
    avg_kda: average('kda', 'kda'),
    avg_gpm: average('gold_per_minute', 'gpm'),
    avg_dpm: average('damage_per_minute', 'dpm'),
    avg_cspm: average('cs_per_minute', 'cspm'),
  },
});

export const positionStatistics = defineStatistic(lolOutput, {
  name: 'position',
  description: 'Per position (teamPosition): games and average kills, deaths, assists, gold and damage per minute.',
  table: 'lol_position_stats',
  groupBy: 'position',
  eventTime: 'game_creation',
  windowMs: WINDOW_MS,
  measures: { games: measures.games, kills: measures.kills, deaths: measures.deaths, assists: measures.assists, gpm: measures.gpm, dpm: measures.dpm },
  fields: {
    games_played: f.count('Participant rows in the position: games played.', 'games'),
    avg_kills: average('kills', 'kills'),
    avg_deaths: average('deaths', 'deaths'),
    avg_assists: average('assists', 'assists'),
    avg_gpm: average('gold_per_minute', 'gpm'),
    avg_dpm: average('damage_per_minute', 'dpm'),
  },
});

export const lolStatistics: readonly StatisticSpec[] = [championStatistics, positionStatistics];
