import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse/sync';
import { ecommerceColumns, type EcommerceEvent } from '../../generators/ecommerce.ts';
import { ecommerceOutput, eventRow } from './ecommerce-output.ts';
import { messageOf } from '../../core/errors.ts';
import { reject, type DatasetRules, type ValidationContext, type Verdict } from './rules.ts';

const QUOTE = 0x22;
const required = ['event_id', 'user_id', 'product_id', 'event_type', 'event_timestamp'] as const;
const column = Object.fromEntries(ecommerceColumns.map((name, i) => [name, i])) as Record<(typeof ecommerceColumns)[number], number>;
const PRICE = /^-?\d+(\.\d+)?$/;

/**
 * Seed 001's validation rules, in its order: corrupt rows, null required fields, trimming,
 * event_type in {view, purchase}, price numeric and non-negative, views without a price,
 * a parsable timestamp, nothing from the future.
 */
export const ecommerceRules: DatasetRules = {
  dataset: 'ecommerce',
  output: ecommerceOutput,
  validateBatch(lines, context) {
    const verdicts: Verdict[] = new Array(lines.length);
    const plain: number[] = [];
    for (let i = 0; i < lines.length; i++) {
      const bytes = lines[i] as Buffer;
      if (!isUtf8(bytes)) verdicts[i] = reject('invalid_utf8', 'the line is not valid UTF-8');
      else if (bytes.length === 0) verdicts[i] = reject('column_count', 'empty line');
      else if (bytes.includes(QUOTE)) verdicts[i] = validateFields(parseOne(bytes.toString('utf8')), context);
      else plain.push(i);
    }
    // Lines without quotes cannot interact through quoting, so they are parsed in one call.
    if (plain.length > 0) {
      const text = plain.map((i) => (lines[i] as Buffer).toString('utf8')).join('\n');
      const records = parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
      plain.forEach((lineIndex, n) => {
        verdicts[lineIndex] = validateFields(records[n] ?? [], context);
      });
    }
    return verdicts;
  },
};

function parseOne(text: string): string[] | Verdict {
  try {
    const records = parse(text, { relax_column_count: true }) as string[][];
    if (records.length !== 1) return reject('csv_parse', `expected one record, found ${records.length}`);
    return records[0] as string[];
  } catch (error) {
    return reject('csv_parse', messageOf(error));
  }
}

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
    return reject('invalid_event_type', `event_type "${fields[column.event_type]}" is neither view nor purchase`);
  }
  const priceText = fields[column.price] as string;
  if (priceText !== '') {
    if (!PRICE.test(priceText)) return reject('wrong_type', `price "${priceText}" is not a number`);
    if (Number(priceText) < 0) return reject('negative_price', `price ${priceText} is negative`);
  }
  const viewWithPrice = priceText !== '' && eventType === 'view';
  const timestamp = fields[column.event_timestamp] as string;
  const eventMs = Date.parse(timestamp);
  if (Number.isNaN(eventMs)) return reject('wrong_type', `event_timestamp "${timestamp}" is not a timestamp`);
  if (eventMs > context.nowMs + context.futureToleranceMs) {
    return reject('future_timestamp', `event_timestamp ${timestamp} is in the future`);
  }
  const event = Object.fromEntries(ecommerceColumns.map((name, i) => [name, fields[i] as string])) as unknown as EcommerceEvent;
  if (viewWithPrice) {
    return { ...reject('view_with_price', `a view carries price ${priceText}`), repaired: [eventRow({ ...event, price: '' })] } as Verdict;
  }
  return { ok: true, rows: [eventRow(event)] };
}
