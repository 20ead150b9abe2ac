import { EcommerceGenerator, type EcommerceEvent } from '../../generators/ecommerce.ts';
import { defineOutput, field, roundTo, type RowOf } from '../output.ts';
import { parseTimestamp } from './timestamp.ts';

const fields = {
  event_id: field.text('The event id (seed 001: a UUID).'),
  user_id: field.text('USER_000001..'),
  product_id: field.text('PROD_0001..'),
  product_name: field.text('Product name.'),
  product_category: field.text('One of the catalogue categories.'),
  event_type: field.text('view or purchase, lower case.'),
  price: field.numeric('Purchase price; NULL for views (seed 001 rule 6).', 10, 2, true),
  event_timestamp: field.timestamp('Event time.'),
} as const;

export type EcommerceRow = RowOf<typeof fields>;

const PRICE_SCALE = fields.price.scale;

/** Seed 001's `user_events`: one row per event, keyed by event_id. */
export const ecommerceOutput = defineOutput({
  dataset: 'ecommerce',
  fields,
  key: ['event_id'],
  recordKey: 'event_id',
  rowsPerRecord: 1,
  slotOf: () => 0,
  expectedRows(generator, origin, plan, recordKey) {
    if (!(generator instanceof EcommerceGenerator)) throw new TypeError('the ecommerce output needs the ecommerce generator');
    if (plan.kind === 'valid') {
      const { event, eventMs } = generator.validEvent(origin, recordKey);
      return [eventRow(event, eventMs)];
    }
    const event = generator.emitted(origin, plan);
    // The one repair seed 001 names (rule 6): a view's price is dropped.
    return [eventRow(plan.kind === 'malformed' && plan.malformed === 'view_with_price' ? { ...event, price: '' } : event)];
  },
});

/**
 * The row an event becomes: empty price is NULL, a price rounded to the cent (numeric(10,2)'s scale,
 * as seed 001 rounds: "19.999" is 20.00), event_type lower case, the timestamp parsed strictly
 * (NaN when it is not one, which no column holds). The reference pipeline applies it to validated
 * fields, the verifier to the generator's event (with its time as epoch ms when it has it).
 */
export function eventRow(event: EcommerceEvent, eventMs?: number): EcommerceRow {
  return {
    event_id: event.event_id,
    user_id: event.user_id,
    product_id: event.product_id,
    product_name: event.product_name,
    product_category: event.product_category,
    event_type: event.event_type.toLowerCase(),
    price: event.price === '' ? null : roundTo(Number(event.price), PRICE_SCALE),
    event_timestamp: eventMs ?? parseTimestamp(event.event_timestamp) ?? Number.NaN,
  };
}
