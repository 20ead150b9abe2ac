import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse/sync';
import { ecommerceColumns, type EcommerceEvent } from '../../generators/ecommerce.ts';
import { ecommerceOutput, eventRow } from './ecommerce-output.ts';
import { preview, rowBuilder } from '../output.ts';
import { messageOf } from '../../core/errors.ts';
import { defineRules, recordText, reject, type DatasetRules, type ValidationContext, type Verdict } from './rules.ts';
import { parseTimestamp } from './timestamp.ts';

const QUOTE = 0x22;
const required = ['event_id', 'user_id', 'product_id', 'event_type', 'event_timestamp'] as const;
const column = Object.fromEntries(ecommerceColumns.map((name, i) => [name, i])) as Record<(typeof ecommerceColumns)[number], number>;
const PRICE = /^-?\d+(\.\d+)?$/;

/**
 * Seed 001's validation rules, in its order: corrupt rows, null required fields, trimming,
 * event_type in {view, purchase}, price numeric and non-negative, views without a price,
 * a parsable timestamp (strict ISO 8601, see timestamp.ts), nothing from the future; then every
 * value within its column (defineRules). Each line is one record: a leading BOM and its own CR
 * are not content (recordText), and a quoted field cannot span lines (both halves of a quoted
 * newline are `csv_parse`: the file transport splits records on \n).
 */
export const ecommerceRules: DatasetRules = defineRules({
  dataset: 'ecommerce',
  output: ecommerceOutput,
  validateBatch(lines, context) {
    const verdicts = new Array<Verdict>(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const bytes = recordText(lines[i] as Buffer);
      if (!isUtf8(bytes)) verdicts[i] = reject('invalid_utf8', 'the line is not valid UTF-8');
      else if (bytes.length === 0) verdicts[i] = reject('column_count', 'empty line');
      else verdicts[i] = validateFields(csvFields(bytes.toString('utf8'), bytes.includes(QUOTE)), context);
    }
    return verdicts;
  },
});

/**
 * A line's CSV fields. Without a quote character CSV has nothing to unescape: its fields are the
 * text between commas, which is what `split` returns and what csv-parse returns for such a line
 * (a test holds the two equal). Most lines have no quote, and csv-parse cost 4.7 us of the main
 * thread's 13 us a record in the main job (the largest single cost there, measured with --cpu-prof),
 * so only lines with quotes go to it.
 */
export function csvFields(text: string, quoted: boolean): string[] | Verdict {
  return quoted ? parseOne(text) : text.split(',');
}

/** One physical line is one record; a CR inside it is data. */
const CSV = { relax_column_count: true, record_delimiter: '\n' } as const;

function parseOne(text: string): string[] | Verdict {
  try {
    const records: string[][] = parse(text, CSV);
    if (records.length !== 1) return reject('csv_parse', `expected one record, found ${records.length}`);
    return records[0] as string[];
  } catch (error) {
    return reject('csv_parse', messageOf(error));
  }
}

/** The parsed fields as an event, built as one literal (see rowBuilder for why). */
const eventOf = rowBuilder(ecommerceColumns) as unknown as (fields: readonly string[]) => EcommerceEvent;

function validateFields(parsed: string[] | Verdict, context: ValidationContext): Verdict {
  if (!Array.isArray(parsed)) return parsed;
  if (parsed.length !== ecommerceColumns.length) {
    return reject('column_count', `expected ${ecommerceColumns.length} columns, found ${parsed.length}`);
  }
  const fields = parsed.map((value) => value.trim());
  for (const name of required) {
    if (fields[column[name]] === '') return reject('missing_field', `${name} is empty`);
  }
  const eventType = (fields[column.event_type] as string).toLowerCase();
  if (eventType !== 'view' && eventType !== 'purchase') {
    return reject('invalid_event_type', `event_type ${preview(fields[column.event_type])} is neither view nor purchase`);
  }
  const priceText = fields[column.price] as string;
  if (priceText !== '') {
    if (!PRICE.test(priceText)) return reject('wrong_type', `price ${preview(priceText)} is not a number`);
    if (Number(priceText) < 0) return reject('negative_price', `price ${preview(priceText)} is negative`);
  }
  const viewWithPrice = priceText !== '' && eventType === 'view';
  const timestamp = fields[column.event_timestamp] as string;
  const eventMs = parseTimestamp(timestamp);
  if (eventMs === null) return reject('wrong_type', `event_timestamp ${preview(timestamp)} is not an ISO 8601 timestamp`);
  if (eventMs > context.nowMs + context.futureToleranceMs) {
    return reject('future_timestamp', `event_timestamp ${preview(timestamp)} is in the future`);
  }
  const event = eventOf(fields);
  if (viewWithPrice) {
    return { ...reject('view_with_price', `a view carries price ${preview(priceText)}`), repaired: [eventRow({ ...event, price: '' }, eventMs)] } as Verdict;
  }
  return { ok: true, rows: [eventRow(event, eventMs)] };
}
