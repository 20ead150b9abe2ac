import type { Rng } from './random.ts';

/**
 * The LoL economy: how long a ranked solo queue game lasts, how many kills it has, and what each
 * position earns, farms, deals and sees per minute. Every figure is calibrated to public match-v5
 * ranked averages; docs/lol-economy.md cites them and says which range is accepted, and
 * test/unit/lol-economy.test.ts holds the generator to those ranges.
 */

export const positions = ['TOP', 'JUNGLE', 'MIDDLE', 'BOTTOM', 'UTILITY'] as const;
export type Position = (typeof positions)[number];

export interface RoleEconomy {
  /** Share of the team's kills. */
  kills: number;
  /** Share of the team's deaths. */
  deaths: number;
  /** Assists, as a share of the team's kills (they add up to about 1.5: a kill has ~1.5 assisters). */
  assists: number;
  /** Lane minions per minute (totalMinionsKilled). */
  cs: number;
  /** Neutral monsters per minute (neutralMinionsKilled). */
  neutral: number;
  /** Vision score per minute at 30 minutes. */
  vision: number;
  /** Damage to champions per minute at 30 minutes, before what kills and assists add. */
  damage: number;
  /** Gold per minute besides passive income, farm, kills and assists: plates, towers, the support item's quest. */
  gold: number;
}

/**
 * Per position, fitted to the 2024 match-v5 sample (patch 14.10-14.22) in docs/lol-economy.md:
 * shares of kills, deaths and assists as measured there; farm, vision, damage and gold set so
 * the generated means per minute land on the measured ones.
 */
export const roles = {
  TOP: { kills: 0.194, deaths: 0.214, assists: 0.2, cs: 6.9, neutral: 0.15, vision: 0.6, damage: 550, gold: 41 },
  JUNGLE: { kills: 0.258, deaths: 0.203, assists: 0.315, cs: 1.05, neutral: 5.6, vision: 0.84, damage: 395, gold: 21 },
  MIDDLE: { kills: 0.225, deaths: 0.199, assists: 0.25, cs: 7.15, neutral: 0.15, vision: 0.63, damage: 550, gold: 33 },
  BOTTOM: { kills: 0.251, deaths: 0.18, assists: 0.25, cs: 7.55, neutral: 0.2, vision: 0.61, damage: 545, gold: 41 },
  UTILITY: { kills: 0.072, deaths: 0.204, assists: 0.49, cs: 1.03, neutral: 0.01, vision: 2.4, damage: 210, gold: 58 },
} as const satisfies Record<Position, RoleEconomy>;

/** Gold every player starts with (goldEarned counts it: a remake at 1:45 shows 500). */
const STARTING_GOLD = 500;
/** Passive income: 20.4 gold every 10 seconds from 1:50 (the League of Legends wiki's Gold page). */
const PASSIVE_PER_MINUTE = 122.4;
const PASSIVE_FROM_MINUTE = 110 / 60;
/** Average gold of a lane minion (melee 21, caster 14, cannons more) and of a jungle monster's cs. */
const GOLD_PER_MINION = 22;
const GOLD_PER_MONSTER = 25;
/** Kill gold before bounties, and an assist's share of it. */
const GOLD_PER_KILL = 300;
const GOLD_PER_ASSIST = 80;
/** Objective gold per minute for the winning team (towers, inhibitors, Baron), on top of their kills. */
const WINNER_GOLD_PER_MINUTE = 30;
/** Damage to champions each kill and assist adds to a player's total. */
const DAMAGE_PER_KILL = 900;
const DAMAGE_PER_ASSIST = 150;

/**
 * Share of games ended by the early (4-of-5) surrender vote between 15:00 and 16:30; the rest
 * last Normal(30:30, 6:30) clamped to 15:00..60:00, surrenders from 20:00 included.
 */
const EARLY_SURRENDER = 0.04;
const DURATION_MEAN_S = 1830;
const DURATION_SD_S = 390;

/** Seconds a game that is not a remake lasts. */
export function gameDuration(rng: Rng): number {
  if (rng.chance(EARLY_SURRENDER)) return rng.range(900, 990);
  return Math.round(Math.min(3600, Math.max(900, rng.normal(DURATION_MEAN_S, DURATION_SD_S))));
}

/**
 * Kills per minute of the winning and of the losing team. Winners kill at a steady pace; losers
 * kill little in a stomp and catch up in long games (S1 in docs/lol-economy.md: 0.45 per minute under 22 minutes,
 * 0.85 past 32, winners 1.2 then 1.1).
 */
export function killRates(minutes: number): { winner: number; loser: number } {
  return {
    winner: 1.19 - 0.006 * Math.max(0, minutes - 25),
    loser: Math.max(0, 0.82 - 0.48 * Math.exp(-(minutes - 15) / 9)),
  };
}

/** A player's lane minions, monsters, vision score, damage to champions and gold; integers, none negative. */
export interface Economy {
  cs: number;
  neutral: number;
  vision: number;
  damage: number;
  gold: number;
}

/**
 * Draws a player's economy for a game of `minutes` given their kills and assists. Gold is built
 * from its sources (start, passive income, farm, kills, assists, objectives), so it tracks cs and
 * kills, and winners are richer. Vision and damage per minute grow with game length (items,
 * upgraded wards), as they do in the sample.
 */
export function economy(rng: Rng, role: RoleEconomy, minutes: number, win: boolean, kills: number, assists: number): Economy {
  const edge = win ? 1 : -1;
  const cs = Math.round(minutes * role.cs * rng.uniform(0.75, 1.25) * (1 + 0.03 * edge));
  const neutral = Math.round(minutes * role.neutral * rng.uniform(0.7, 1.3) * (1 + 0.08 * edge));
  const growth = 0.6 + minutes / 75;
  const vision = Math.round(minutes * role.vision * growth * rng.uniform(0.65, 1.35) * (1 + 0.05 * edge));
  const damage = Math.round(minutes * role.damage * growth * rng.uniform(0.6, 1.4) + kills * DAMAGE_PER_KILL + assists * DAMAGE_PER_ASSIST);
  const earned =
    STARTING_GOLD +
    PASSIVE_PER_MINUTE * Math.max(0, minutes - PASSIVE_FROM_MINUTE) +
    cs * GOLD_PER_MINION +
    neutral * GOLD_PER_MONSTER +
    kills * GOLD_PER_KILL +
    assists * GOLD_PER_ASSIST +
    minutes * (role.gold + (win ? WINNER_GOLD_PER_MINUTE : 0));
  return { cs, neutral, vision, damage, gold: Math.round(earned * rng.uniform(0.94, 1.06)) };
}

/**
 * A remade game: no kills, the starting gold and passive income, and the little farm and poke of
 * the first minutes, as remade match-v5 games show.
 */
export function remakeEconomy(rng: Rng, position: Position, minutes: number): Economy {
  const cs = position === 'TOP' || position === 'MIDDLE' || position === 'BOTTOM' ? rng.int(6) : 0;
  const neutral = position === 'JUNGLE' && rng.chance(0.5) ? 4 : 0;
  const damage = position === 'JUNGLE' ? 0 : rng.int(450);
  const passive = PASSIVE_PER_MINUTE * Math.max(0, minutes - PASSIVE_FROM_MINUTE);
  const gold = Math.round(STARTING_GOLD + passive + cs * GOLD_PER_MINION + neutral * GOLD_PER_MONSTER);
  return { cs, neutral, vision: rng.chance(0.2) ? 1 : 0, damage, gold };
}
