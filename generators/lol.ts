import { Generator, HOUR_MS, type GeneratorConfig, type Payload } from './generator.ts';
import type { OwnPlan } from './faults.ts';
import { lolMalformed, lolOptions, type LolOptions } from './lol-spec.ts';
import { champions, summonerNames } from './catalogue.ts';
import { Feistel32 } from './ids.ts';
import { economy, gameDuration, killRates, positions, remakeEconomy, roles, type Position } from './lol-economy.ts';
import { Rng, streamKey } from './random.ts';

export { lolMalformed, lolOptions, type LolOptions } from './lol-spec.ts';
export { positions, type Position } from './lol-economy.ts';

/** The fields of Riot's match-v5 participant that the pipeline reads (seed 002). */
export interface Participant {
  participantId: number;
  puuid: string;
  summonerName: string;
  championName: string;
  teamId: 100 | 200;
  teamPosition: Position;
  win: boolean;
  kills: number;
  deaths: number;
  assists: number;
  totalDamageDealtToChampions: number;
  goldEarned: number;
  totalMinionsKilled: number;
  neutralMinionsKilled: number;
  visionScore: number;
}

export interface Match {
  metadata: { dataVersion: string; matchId: string; participants: string[] };
  info: {
    gameCreation: number;
    gameDuration: number;
    gameMode: string;
    queueId: number;
    platformId: string;
    gameVersion: string;
    participants: Participant[];
    teams: { teamId: 100 | 200; win: boolean }[];
  };
}

/** Match ids are this plus a 32-bit word: always 10 digits (5000000000..9294967295). */
const MATCH_ID_BASE = 5_000_000_000;

export class LolGenerator extends Generator {
  readonly dataset = 'lol' as const;
  readonly format = 'jsonl' as const;
  readonly header = null;
  readonly invertibleKeys = true;
  private readonly options: LolOptions;
  private readonly names: string[];
  private readonly rng: Rng;
  /** The match id permutation, keyed by (seed, base time): every run has its own match ids. */
  private readonly ids: Feistel32;
  private readonly idPrefix: string;

  constructor(config: GeneratorConfig) {
    super(config, 'lol', lolMalformed);
    this.options = lolOptions.parse(config.options);
    this.names = summonerNames(config.seed, this.options.summoners);
    this.rng = new Rng(this.contentKey);
    this.ids = new Feistel32(streamKey(config.seed, 'lol', 'id', String(config.baseTimeMs)));
    this.idPrefix = `${this.options.platform}_`;
  }

  /**
   * `EUW1_` and 10 digits: 5,000,000,000 plus the origin permuted under the run's key, so match ids
   * look like Riot's, differ between runs, and decode back to the origin. The permutation covers
   * 2^32 origins (a scenario may not ask for more LoL matches).
   */
  matchId(origin: number): string {
    return `${this.idPrefix}${MATCH_ID_BASE + this.ids.forward(origin)}`;
  }

  /**
   * The origin of the match whose id is `key`, or null when it is no match id of this platform.
   * There are no check digits (all 2^32 ten-digit values from the base are images of an origin),
   * so a well-formed id of another run decodes to some origin: the caller tells them apart by
   * the count of the run and by the record's content.
   */
  decodeRecordKey(key: string): number | null {
    const prefix = this.idPrefix;
    if (key.length !== prefix.length + 10 || !key.startsWith(prefix)) return null;
    let value = 0;
    for (let at = prefix.length; at < key.length; at++) {
      const digit = key.charCodeAt(at) - 0x30;
      if (digit < 0 || digit > 9) return null;
      value = value * 10 + digit;
    }
    const permuted = value - MATCH_ID_BASE;
    return permuted >= 0 && permuted < 0x1_0000_0000 ? this.ids.inverse(permuted) : null;
  }

  recordKey(origin: number): string {
    return this.matchId(origin);
  }

  keys(origin: number): string[] {
    const id = this.matchId(origin);
    return Array.from({ length: 10 }, (_, i) => `${id}:${i + 1}`);
  }

  /**
   * The clean match for `origin`, internally consistent (see the LoL invariants test) and shaped
   * like ranked solo queue (generators/lol-economy.ts, docs/lol-economy.md).
   */
  match(origin: number): Match {
    const rng = this.rng.at(origin);
    const remake = rng.chance(this.options.remakeShare);
    const duration = remake ? rng.range(90, 210) : gameDuration(rng);
    const minutes = duration / 60;
    const blueWins = rng.chance(0.5);
    const roster = drawDistinct(rng, champions, 10);
    // A game's pace varies around the average (fiestas and slow games) for both teams alike.
    const rates = killRates(minutes);
    const pace = remake ? 0 : rng.uniform(0.7, 1.3);
    const winnerKills = rng.poisson(minutes * pace * rates.winner);
    const loserKills = rng.poisson(minutes * pace * rates.loser);
    const teamKills = { 100: blueWins ? winnerKills : loserKills, 200: blueWins ? loserKills : winnerKills };
    const kills = { 100: split(rng, teamKills[100], 'kills'), 200: split(rng, teamKills[200], 'kills') };
    // A team's deaths are the other team's kills, shared by who tends to die.
    const deaths = { 100: split(rng, teamKills[200], 'deaths'), 200: split(rng, teamKills[100], 'deaths') };
    const participants: Participant[] = [];
    for (let p = 0; p < 10; p++) {
      const teamId = p < 5 ? 100 : 200;
      const slot = p % 5;
      const position = positions[slot] as Position;
      const role = roles[position];
      const k = kills[teamId][slot] as number;
      // Nobody assists their own kill: at most the team's other kills.
      const assists = Math.min(teamKills[teamId] - k, rng.poisson(teamKills[teamId] * role.assists));
      const win = (teamId === 100) === blueWins;
      const stats = remake ? remakeEconomy(rng, position, minutes) : economy(rng, role, minutes, win, k, assists);
      const name = rng.pick(this.names);
      participants.push({
        participantId: p + 1,
        puuid: `${this.matchId(origin)}-${p + 1}-${rng.next32().toString(36)}`,
        summonerName: name,
        championName: roster[p] as string,
        teamId,
        teamPosition: position,
        win,
        kills: k,
        deaths: deaths[teamId][slot] as number,
        assists,
        totalDamageDealtToChampions: stats.damage,
        goldEarned: stats.gold,
        totalMinionsKilled: stats.cs,
        neutralMinionsKilled: stats.neutral,
        visionScore: stats.vision,
      });
    }
    return {
      metadata: { dataVersion: '2', matchId: this.matchId(origin), participants: participants.map((x) => x.puuid) },
      info: {
        gameCreation: this.eventTime(origin, rng.next()),
        gameDuration: duration,
        gameMode: 'CLASSIC',
        queueId: 420,
        platformId: this.options.platform,
        gameVersion: '15.22.712.4410',
        participants,
        teams: [
          { teamId: 100, win: blueWins },
          { teamId: 200, win: !blueWins },
        ],
      },
    };
  }

  /** The match as emitted when it stays a valid document: valid, late (created earlier) or future-dated. */
  emitted(origin: number, plan: OwnPlan): Match {
    const match = this.match(origin);
    const rng = this.rng; // continues the origin's stream: fault details are deterministic too
    if (plan.kind === 'late') match.info.gameCreation -= Math.floor(rng.uniform(1, 6) * HOUR_MS);
    else if (plan.kind === 'future') match.info.gameCreation = this.futureTime(match.info.gameCreation, rng.next());
    return match;
  }

  protected encode(origin: number, plan: OwnPlan): Payload {
    if (plan.kind !== 'malformed') return JSON.stringify(this.emitted(origin, plan));
    return this.malformed(this.match(origin), plan.malformed, this.rng);
  }

  private malformed(match: Match, kind: string, rng: Rng): Payload {
    const info = match.info;
    const victim = info.participants[rng.int(10)] as Participant;
    switch (kind) {
      case 'truncated_json': {
        const text = JSON.stringify(match);
        return text.slice(0, Math.floor(text.length / 2));
      }
      case 'invalid_utf8': {
        const marker = '\u0000BAD\u0000';
        victim.summonerName = marker;
        const [before, after] = JSON.stringify(match).split(JSON.stringify(marker).slice(1, -1)) as [string, string];
        return Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]);
      }
      case 'missing_match_id': {
        const { matchId: _dropped, ...metadata } = match.metadata;
        return JSON.stringify({ ...match, metadata });
      }
      case 'duration_not_a_number':
        return JSON.stringify({ ...match, info: { ...info, gameDuration: 'abc' } });
      case 'nine_participants':
        info.participants.splice(rng.int(10), 1);
        return JSON.stringify(match);
      case 'zero_duration':
        info.gameDuration = 0;
        return JSON.stringify(match);
      case 'negative_kills':
        victim.kills = -3;
        return JSON.stringify(match);
      case 'duplicate_participant_id':
        (info.participants[9] as Participant).participantId = 9;
        return JSON.stringify(match);
      default:
        throw new Error(`unknown LoL malformed kind "${kind}"`);
    }
  }
}

/** Per stat, the running sums of the positions' shares: a draw below `[slot]` lands at or before `slot`. */
const cumulative = {
  kills: runningSums(positions.map((position) => roles[position].kills)),
  deaths: runningSums(positions.map((position) => roles[position].deaths)),
};

function runningSums(shares: number[]): number[] {
  let sum = 0;
  return shares.map((share) => (sum += share));
}

/** Shares `total` among the five positions, weighted by each position's share of `stat`. */
function split(rng: Rng, total: number, stat: 'kills' | 'deaths'): number[] {
  const counts = [0, 0, 0, 0, 0];
  const bounds = cumulative[stat];
  for (let i = 0; i < total; i++) {
    const u = rng.next();
    let slot = 0;
    while (slot < 4 && u >= (bounds[slot] as number)) slot++;
    counts[slot] = (counts[slot] as number) + 1;
  }
  return counts;
}

/** `n` distinct items by a partial Fisher-Yates shuffle over indices. */
function drawDistinct<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const order = Array.from({ length: items.length }, (_, i) => i);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(order.length - i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
    out.push(items[order[i] as number] as T);
  }
  return out;
}
