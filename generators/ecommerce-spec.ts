import { z } from 'zod';
import type { MalformedKind } from './faults.ts';

/**
 * Seed 001's dataset as a scenario and a pipeline see it: its options, columns and malformed kinds.
 * Apart from the generator (ecommerce.ts), so that the scenario schema loads without the generator
 * and its Faker pools.
 */

export const ecommerceOptions = z
  .object({
    users: z.number().int().min(1).max(10_000_000).default(1000).describe('Size of the user pool (USER_000001..).'),
    products: z.number().int().min(8).max(100_000).default(64).describe('Size of the product catalogue (at least 8).'),
    purchaseShare: z.number().min(0).max(1).default(0.3).describe('Share of events that are purchases; the rest are views.'),
    idScheme: z.enum(['hash', 'md5']).default('hash').describe('event_id: "hash" (unique per index, fast) or "md5" (seed 001: md5 of user_product_timestamp).'),
    productSkew: z.number().min(0).max(5).default(1).describe('Zipf exponent of product popularity; 0 = uniform.'),
    userSkew: z.number().min(0).max(5).default(0.6).describe('Zipf exponent of user activity; 0 = uniform.'),
    sessionLength: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(6)
      .describe('Events per session: a user views a few products, purchases come later in it. 1 = independent events.'),
    concurrentSessions: z.number().int().min(1).max(100_000).default(32).describe('Sessions interleaved in the stream at once.'),
  })
  .strict();

export type EcommerceOptions = z.infer<typeof ecommerceOptions>;

/** Seed 001's columns, in file order. */
export const ecommerceColumns = ['event_id', 'user_id', 'product_id', 'product_name', 'product_category', 'event_type', 'price', 'event_timestamp'] as const;

export const ecommerceMalformed = [
  { kind: 'truncated_row', reason: 'column_count', description: 'the row cut off after its third column' },
  { kind: 'broken_quoting', reason: 'csv_parse', description: 'an opening quote that never closes' },
  { kind: 'wrong_column_count', reason: 'column_count', description: 'a row with one column missing' },
  { kind: 'invalid_utf8', reason: 'invalid_utf8', description: 'bytes that are not UTF-8 in product_name' },
  { kind: 'missing_user_id', reason: 'missing_field', description: 'user_id is empty (null)' },
  { kind: 'price_not_a_number', reason: 'wrong_type', description: 'price is "abc"' },
  { kind: 'click_event', reason: 'invalid_event_type', description: 'event_type "click" (seed 001)' },
  { kind: 'negative_price', reason: 'negative_price', description: 'a purchase at -50.00 (seed 001)' },
  { kind: 'view_with_price', reason: 'view_with_price', description: 'a view that carries a price', repair: 'lands with price NULL, seed 001 rule 6' },
] as const satisfies readonly MalformedKind[];

export interface EcommerceEvent {
  event_id: string;
  user_id: string;
  product_id: string;
  product_name: string;
  product_category: string;
  event_type: string;
  price: string;
  event_timestamp: string;
}
