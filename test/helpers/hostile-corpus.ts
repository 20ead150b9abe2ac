import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReasonCode } from '../../core/reasons.ts';
import type { EcommerceEvent } from '../../generators/ecommerce.ts';
import { noFaults } from '../../generators/faults.ts';
import type { DatasetName } from '../../generators/generator.ts';
import type { Match } from '../../generators/lol.ts';
import type { DatasetOutput, OutputRow } from '../../pipeline/output.ts';
import { participantRows } from '../../pipeline/rules/lol-output.ts';
import { sameValue } from '../../verifier/checks/values.ts';
import { generator } from './generated.ts';

/**
 * The hostile-input corpus (issue part 4): records no generator makes, fed straight to the
 * reference pipeline from files, each kind with the outcome it must have. Every physical line
 * either lands intact (its rows equal to the expected ones, field by field as the verifier
 * compares) or is dead-lettered at its own file and line with the expected reason and its bytes
 * exactly as read; the counts add up; nothing crashes or stalls.
 */

export type Expect = { landed: OutputRow[] } | { reason: ReasonCode };
export interface Line {
  bytes: Buffer;
  expect: Expect;
}
export interface Kind {
  kind: string;
  dataset: DatasetName;
  lines: Line[];
  /** A file of its own (where the file's start matters): a BOM before its first line, or no header at all. */
  file?: { bom?: boolean; noHeader?: boolean };
}

/** The reference pipeline's batch size in the corpus test: some kinds sit at batch boundaries. */
export const BATCH = 8;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
export const HEADER = 'event_id,user_id,product_id,product_name,product_category,event_type,price,event_timestamp';
/** The database refuses rows holding this (a CHECK constraint the rules know nothing of): `sink_rejected`. */
export const REFUSED = 'REFUSED BY THE DATABASE';
const MB10 = 10 * 1024 * 1024;

// ---- e-commerce (CSV) ----------------------------------------------------------------------

let nextEvent = 0;
type Event = EcommerceEvent;
function event(change: Partial<Event> = {}): Event {
  return {
    event_id: `ev-${++nextEvent}`,
    user_id: 'USER_000001',
    product_id: 'PROD_0001',
    product_name: 'Lamp',
    product_category: 'Home',
    event_type: 'purchase',
    price: '19.99',
    event_timestamp: '2024-05-01T10:00:00.000Z',
    ...change,
  };
}
/** Fields joined as they are: a test writes quotes itself where it wants them. */
function csv(e: Event, suffix = ''): Buffer {
  return Buffer.from(Object.values(e).join(',') + suffix);
}
function row(e: Event, change: Partial<OutputRow> = {}): OutputRow {
  return {
    event_id: e.event_id,
    user_id: e.user_id,
    product_id: e.product_id,
    product_name: e.product_name,
    product_category: e.product_category,
    event_type: e.event_type,
    price: e.price === '' ? null : Number(e.price),
    event_timestamp: Date.parse(e.event_timestamp),
    ...change,
  };
}
/** One CSV line for `e` that must land as `e` (with `change`), optionally with a line suffix such as \r. */
function lands(e: Event, change: Partial<OutputRow> = {}, suffix = ''): Line {
  return { bytes: csv(e, suffix), expect: { landed: [row(e, change)] } };
}
/** A line of `e` whose bytes are changed by `change` and which must still land as `e`. */
function withBytes(e: Event, change: (bytes: Buffer) => Buffer): Line {
  return { bytes: change(csv(e)), expect: { landed: [row(e)] } };
}
function refused(bytes: Buffer | string, reason: ReasonCode): Line {
  return { bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes, expect: { reason } };
}
const ecommerce = (kind: string, lines: Line[], file?: Kind['file']): Kind => ({ kind, dataset: 'ecommerce', lines, ...(file ? { file } : {}) });

const sqlInjection = "'); DROP TABLE user_events; --";
const emojiRtl = 'Lamp 😀👩‍👩‍👧 مصباح עברית ‮reversed‬';
const quotedNewline = event({ product_name: '"Lamp' });
const crlfBatchStarts = Array.from({ length: 3 * BATCH + 2 }, (_, i) => lands(event(), {}, i % BATCH === 0 ? '\r' : ''));

export const ecommerceKinds: Kind[] = [
  ecommerce('valid event', [lands(event())]),
  ecommerce('NUL in a CSV field', [refused(csv(event({ product_name: 'La\u0000mp' })), 'out_of_range')]),
  ecommerce('NUL in a quoted CSV field', [refused(csv(event({ product_name: '"La\u0000mp"' })), 'out_of_range')]),
  ecommerce('NUL as the event_id', [refused(csv(event({ event_id: '\u0000' })), 'out_of_range')]),
  ecommerce('price 99999999999.99 (beyond numeric(10,2))', [refused(csv(event({ price: '99999999999.99' })), 'out_of_range')]),
  ecommerce('price 99999999.99 (the largest numeric(10,2))', [lands(event({ price: '99999999.99' }))]),
  ecommerce('price 19.999 (rounded to the cent)', [lands(event({ price: '19.999' }), { price: 20 })]),
  ecommerce('price 99999999.995 (rounds out of numeric(10,2))', [refused(csv(event({ price: '99999999.995' })), 'out_of_range')]),
  ecommerce('price 1e400', [refused(csv(event({ price: '1e400' })), 'wrong_type')]),
  ecommerce('price of 400 digits (Infinity as a number)', [refused(csv(event({ price: '9'.repeat(400) })), 'out_of_range')]),
  ecommerce('price NaN', [refused(csv(event({ price: 'NaN' })), 'wrong_type')]),
  ecommerce('price Infinity', [refused(csv(event({ price: 'Infinity' })), 'wrong_type')]),
  ecommerce('timestamp "1"', [refused(csv(event({ event_timestamp: '1' })), 'wrong_type')]),
  ecommerce('timestamp "2026-02-30"', [refused(csv(event({ event_timestamp: '2026-02-30' })), 'wrong_type')]),
  ecommerce('timestamp 2025-02-29 (not a leap year)', [refused(csv(event({ event_timestamp: '2025-02-29T00:00:00Z' })), 'wrong_type')]),
  ecommerce('timestamp "-271821-04-20T00:00:00Z" (Date\'s first instant)', [
    refused(csv(event({ event_timestamp: '-271821-04-20T00:00:00Z' })), 'out_of_range'),
  ]),
  ecommerce('timestamp "+275760-09-13T00:00:00.000Z" (Date\'s last)', [
    refused(csv(event({ event_timestamp: '+275760-09-13T00:00:00.000Z' })), 'future_timestamp'),
  ]),
  ecommerce('timestamp year 0000', [refused(csv(event({ event_timestamp: '0000-12-31T23:59:59.999Z' })), 'out_of_range')]),
  ecommerce('timestamp 0001-01-01 (the earliest held)', [lands(event({ event_timestamp: '0001-01-01T00:00:00.000Z' }))]),
  ecommerce('timestamp with an offset and no millisecond', [
    lands(event({ event_timestamp: '2024-05-01T12:00:00+02:00' }), { event_timestamp: Date.UTC(2024, 4, 1, 10) }),
  ]),
  ecommerce('10 MB line (a 10 MB product_name)', [lands(event({ product_name: 'x'.repeat(MB10) }))]),
  ecommerce('CRLF line in the middle of a batch', [lands(event(), {}, '\r')]),
  ecommerce('CRLF line at the start of every batch', crlfBatchStarts, {}),
  ecommerce('BOM at the start of a .csv file (before the header)', [lands(event()), lands(event())], { bom: true }),
  ecommerce('BOM at the start of a data line', [withBytes(event(), (bytes) => Buffer.concat([BOM, bytes]))]),
  ecommerce('quoted newline: one record over two physical lines, both halves dead-lettered', [
    refused(Object.values(quotedNewline).slice(0, 4).join(','), 'csv_parse'),
    refused(`Deluxe",${Object.values(quotedNewline).slice(4).join(',')}`, 'csv_parse'),
  ]),
  ecommerce('header-only file', [], {}),
  ecommerce('empty file', [], { noHeader: true }),
  ecommerce('SQL injection in a text field', [lands(event({ product_name: sqlInjection }))]),
  ecommerce('SQL injection with quotes, CSV-quoted', [
    (() => {
      const e = event({ product_name: 'Robert"); DROP TABLE x;--, ok' });
      return { bytes: csv({ ...e, product_name: '"Robert""); DROP TABLE x;--, ok"' }), expect: { landed: [row(e)] } };
    })(),
  ]),
  ecommerce('emoji and RTL text', [lands(event({ product_name: emojiRtl, product_category: '🏠' }))]),
  ecommerce('a bare CR inside a field is data', [lands(event({ product_name: 'La\rmp' }))]),
  ecommerce('line of only spaces', [refused('          ', 'column_count')]),
  ecommerce('empty line', [refused('', 'column_count')]),
  ecommerce('line of only a CR', [refused('\r', 'column_count')]),
  ecommerce('100 columns', [refused(Array.from({ length: 100 }, (_, i) => `c${i}`).join(','), 'column_count')]),
  ecommerce('invalid UTF-8 (C3 28)', [refused(Buffer.concat([csv(event()).subarray(0, 20), Buffer.from([0xc3, 0x28]), Buffer.from(',x')]), 'invalid_utf8')]),
  ecommerce('overlong UTF-8 ("/" as C0 AF)', [
    refused(Buffer.concat([Buffer.from('ev-x,U,P,'), Buffer.from([0xc0, 0xaf]), Buffer.from(',C,view,,2024-01-01T00:00:00Z')]), 'invalid_utf8'),
  ]),
  ecommerce('UTF-8-encoded surrogate (ED A0 80)', [
    refused(Buffer.concat([Buffer.from('ev-y,U,P,'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(',C,view,,2024-01-01T00:00:00Z')]), 'invalid_utf8'),
  ]),
  ecommerce('a value the database refuses (CHECK constraint)', [refused(csv(event({ product_name: REFUSED })), 'sink_rejected')]),
];

// ---- LoL (JSON lines) ----------------------------------------------------------------------

const lolSource = generator('lol', 5, noFaults);
let nextMatch = 0;
/** A valid generated match under an id of its own, changed by `edit`. */
function match(edit: (m: Match) => void = () => {}): Match {
  const m = JSON.parse(String(lolSource.payload(nextMatch))) as Match;
  m.metadata.matchId = `CORPUS_${++nextMatch}`;
  edit(m);
  return m;
}
/** The match's JSON with the string "@" (a placeholder value) replaced by raw JSON text. */
function json(m: Match, raw = ''): Buffer {
  return Buffer.from(JSON.stringify(m).replace('"@"', raw));
}
function landsMatch(m: Match, bytes: Buffer = json(m)): Line {
  return { bytes, expect: { landed: participantRows(m) } };
}
const set = (path: (m: Match) => Record<string, unknown>, key: string, value: unknown) => (m: Match) => {
  path(m)[key] = value;
};
const first = (m: Match) => m.info.participants[0] as unknown as Record<string, unknown>;
const info = (m: Match) => m.info as unknown as Record<string, unknown>;
const lol = (kind: string, lines: Line[], file?: Kind['file']): Kind => ({ kind, dataset: 'lol', lines, ...(file ? { file } : {}) });
const placeholder = (edit: (m: Match) => void, raw: string, reason: ReasonCode) => {
  const m = match(edit);
  return refused(json(m, raw), reason);
};
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const duplicateKeys = match((m) => (m.info.participants[0]!.kills = 7));
const duplicateKeysBad = match((m) => (m.info.participants[0]!.kills = 7));

export const lolKinds: Kind[] = [
  lol('valid match', [landsMatch(match())]),
  lol('NUL in a JSON string (\\u0000)', [refused(json(match(set(first, 'summonerName', 'Fa\u0000ker'))), 'out_of_range')]),
  lol('NUL in the matchId', [refused(json(match((m) => (m.metadata.matchId += '\u0000'))), 'out_of_range')]),
  lol('raw NUL byte inside a JSON string', [
    refused(Buffer.from(JSON.stringify(match(set(first, 'summonerName', '@'))).replace('"@"', '"a\u0000b"')), 'json_parse'),
  ]),
  lol('lone surrogate in a JSON string (\\ud800)', [refused(json(match(set(first, 'summonerName', '@')), '"\\ud800"'), 'out_of_range')]),
  lol('kills 3e9 (beyond int4)', [placeholder(set(first, 'kills', '@'), '3e9', 'out_of_range')]),
  lol('kills 1e400 (Infinity)', [placeholder(set(first, 'kills', '@'), '1e400', 'wrong_type')]),
  lol('totalDamageDealtToChampions 2^53 (beyond safe integers)', [refused(json(match(set(first, 'totalDamageDealtToChampions', 2 ** 53))), 'out_of_range')]),
  lol('cs overflowing int4 (2e9 + 2e9 minions)', [
    refused(json(match((m) => Object.assign(m.info.participants[0]!, { totalMinionsKilled: 2e9, neutralMinionsKilled: 2e9 }))), 'out_of_range'),
  ]),
  lol('gameDuration 1800.5', [refused(json(match(set(info, 'gameDuration', 1800.5))), 'out_of_range')]),
  lol("gameCreation -9e15 (before Date's range)", [refused(json(match(set(info, 'gameCreation', -9e15))), 'out_of_range')]),
  lol("gameCreation 9e15 (future, beyond Date's range)", [refused(json(match(set(info, 'gameCreation', 9e15))), 'future_timestamp')]),
  lol('gameCreation 1e400 (JSON.parse gives Infinity)', [placeholder(set(info, 'gameCreation', '@'), '1e400', 'wrong_type')]),
  lol('gameCreation NaN (not JSON)', [placeholder(set(info, 'gameCreation', '@'), 'NaN', 'json_parse')]),
  lol('gameCreation 1.5 (not a whole millisecond)', [refused(json(match(set(info, 'gameCreation', 1.5))), 'out_of_range')]),
  lol('100k-deep JSON', [refused(deep(100_000), 'missing_field')]),
  lol('valid match carrying a 100k-deep field', [
    (() => {
      const m = match(set(info, 'extra', '@'));
      return landsMatch(m, json(m, deep(100_000)));
    })(),
  ]),
  lol('duplicate JSON keys: the last wins (-1 then 7 lands with 7)', [
    landsMatch(duplicateKeys, Buffer.from(JSON.stringify(duplicateKeys).replace('"kills":7', '"kills":-1,"kills":7'))),
  ]),
  lol('duplicate JSON keys: the last wins (7 then -1 is negative)', [
    refused(Buffer.from(JSON.stringify(duplicateKeysBad).replace('"kills":7', '"kills":7,"kills":-1')), 'negative_stat'),
  ]),
  lol(
    'BOM at the start of a .jsonl file',
    [
      (() => {
        const m = match();
        return { bytes: Buffer.concat([BOM, json(m)]), expect: { landed: participantRows(m) } };
      })(),
      landsMatch(match()),
    ],
    {},
  ),
  lol('CRLF line', [
    (() => {
      const m = match();
      return { bytes: Buffer.concat([json(m), Buffer.from('\r')]), expect: { landed: participantRows(m) } };
    })(),
  ]),
  lol('10 MB line (a valid match padded with whitespace)', [
    (() => {
      const m = match();
      return landsMatch(m, Buffer.from(JSON.stringify(m).replace('{', `{${' '.repeat(MB10)}`)));
    })(),
  ]),
  lol('SQL injection in a summoner name', [landsMatch(match(set(first, 'summonerName', sqlInjection)))]),
  lol('emoji and RTL text in a summoner name', [landsMatch(match(set(first, 'summonerName', emojiRtl)))]),
  lol('invalid UTF-8', [refused(Buffer.concat([json(match()).subarray(0, 40), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'invalid_utf8')]),
  lol('overlong UTF-8', [refused(Buffer.concat([Buffer.from('{"metadata":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), 'invalid_utf8')]),
  lol('empty line', [refused('', 'json_parse')]),
  lol('line of only spaces', [refused('     ', 'json_parse')]),
  lol('empty .jsonl file', [], {}),
  lol('a value the database refuses (CHECK constraint)', [refused(json(match(set(first, 'summonerName', REFUSED))), 'sink_rejected')]),
];

/** A corpus line where a pipeline read it: the file and line, or the topic:partition and offset. */
export interface Placed {
  source: string;
  position: number;
  line: Line;
  kind: string;
}

/**
 * What a pipeline left of the placed lines, as problems: a line to dead-letter that was not (or
 * with another reason, or other bytes), a line to land that was dead-lettered, a row missing or
 * with a field off (compared as the verifier compares). `rows` by key (key fields joined by ':'),
 * `letters` by `<source>#<position>`.
 */
export function corpusProblems(
  placed: Placed[],
  output: DatasetOutput,
  rows: Map<string, OutputRow>,
  letters: Map<string, { reason: string; raw: Buffer }>,
): { problems: string[]; expectedRows: number; expectedLetters: number } {
  const problems: string[] = [];
  let expectedRows = 0;
  let expectedLetters = 0;
  for (const { source, position, line, kind } of placed) {
    const letter = letters.get(`${source}#${position}`);
    if ('reason' in line.expect) {
      expectedLetters++;
      if (!letter) problems.push(`${kind}: not dead-lettered (expected ${line.expect.reason})`);
      else if (letter.reason !== line.expect.reason) problems.push(`${kind}: dead-lettered as ${letter.reason}, expected ${line.expect.reason}`);
      else if (!letter.raw.equals(line.bytes)) problems.push(`${kind}: raw bytes differ from the line`);
      continue;
    }
    if (letter) problems.push(`${kind}: dead-lettered as ${letter.reason}, expected to land`);
    for (const want of line.expect.landed) {
      expectedRows++;
      const got = rows.get(output.key.map((k) => String(want[k])).join(':'));
      if (!got) {
        problems.push(`${kind}: row ${output.key.map((k) => String(want[k])).join(':')} missing`);
        continue;
      }
      for (const [name, f] of Object.entries(output.fields)) {
        if (!sameValue(f, want[name] ?? null, got[name] ?? null))
          problems.push(`${kind}: ${name} landed as ${String(got[name]).slice(0, 40)}, expected ${String(want[name]).slice(0, 40)}`);
      }
    }
  }
  return { problems, expectedRows, expectedLetters };
}

/** Writes each dataset's kinds into files (the shared one, then one per kind that needs its own) and says where each line went. */
export function writeCorpus(dir: string, dataset: DatasetName, kinds: Kind[]): Placed[] {
  mkdirSync(dir, { recursive: true });
  const ext = dataset === 'ecommerce' ? 'csv' : 'jsonl';
  const placed: Placed[] = [];
  const write = (name: string, header: boolean, bom: boolean, entries: { line: Line; kind: string }[]) => {
    const parts: Buffer[] = [];
    if (header) parts.push(Buffer.from(`${HEADER}\n`));
    entries.forEach(({ line, kind }, i) => {
      parts.push(line.bytes, Buffer.from('\n'));
      placed.push({ source: name, position: i + 1 + (header ? 1 : 0), line, kind });
    });
    const data = Buffer.concat(parts);
    writeFileSync(join(dir, name), bom ? Buffer.concat([BOM, data]) : data);
  };
  const shared = kinds.filter((k) => !k.file);
  write(
    `${dataset}-000001.${ext}`,
    dataset === 'ecommerce',
    false,
    shared.flatMap((k) => k.lines.map((line) => ({ line, kind: k.kind }))),
  );
  kinds
    .filter((k) => k.file)
    .forEach((k, n) => {
      write(
        `${dataset}-${String(n + 2).padStart(6, '0')}.${ext}`,
        dataset === 'ecommerce' && !k.file?.noHeader,
        k.file?.bom ?? false,
        k.lines.map((line) => ({ line, kind: k.kind })),
      );
    });
  // An empty file is empty: no header, not even a newline.
  writeFileSync(join(dir, '_DONE-1-of-1'), '');
  return placed;
}
