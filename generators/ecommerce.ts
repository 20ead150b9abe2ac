import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { FUTURE_TIME_MS, Generator, type GeneratorConfig, type Payload } from './generator.ts';
import type { MalformedKind, OwnPlan } from './faults.ts';
import { productCatalogue, userPool, type Product } from './catalogue.ts';
import { mix32, Rng, streamKey } from './random.ts';

export const ecommerceOptions = z
  .object({
    users: z.number().int().min(1).max(10_000_000).default(1000).describe('Size of the user pool (USER_000001..).'),
    products: z.number().int().min(8).max(100_000).default(64).describe('Size of the product catalogue (at least 8).'),
    purchaseShare: z.number().min(0).max(1).default(0.3).describe('Share of events that are purchases; the rest are views.'),
    idScheme: z
      .enum(['hash', 'md5'])
      .default('hash')
      .describe('event_id: "hash" (unique per index, fast) or "md5" (seed 001: md5 of user_product_timestamp).'),
  })
  .strict();

export type EcommerceOptions = z.infer<typeof ecommerceOptions>;

/** Seed 001's columns, in file order. */
export const ecommerceColumns = [
  'event_id',
  'user_id',
  'product_id',
  'product_name',
  'product_category',
  'event_type',
  'price',
  'event_timestamp',
] as const;

export const ecommerceMalformed = [
  { kind: 'broken_quoting', reason: 'csv_parse', description: 'an opening quote that never closes' },
  { kind: 'wrong_column_count', reason: 'column_count', description: 'a row with one column missing' },
  { kind: 'invalid_utf8', reason: 'invalid_utf8', description: 'bytes that are not UTF-8 in product_name' },
  { kind: 'missing_user_id', reason: 'missing_field', description: 'user_id is empty (null)' },
  { kind: 'price_not_a_number', reason: 'wrong_type', description: 'price is "abc"' },
  { kind: 'click_event', reason: 'invalid_event_type', description: 'event_type "click" (seed 001)' },
  { kind: 'negative_price', reason: 'negative_price', description: 'a purchase at -50.00 (seed 001)' },
  { kind: 'view_with_price', reason: 'view_with_price', description: 'a view that carries a price' },
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

const HOUR_MS = 3_600_000;

export class EcommerceGenerator extends Generator {
  readonly dataset = 'ecommerce' as const;
  readonly format = 'csv' as const;
  readonly header = ecommerceColumns.join(',');
  private readonly options: EcommerceOptions;
  private readonly products: Product[];
  private readonly users: string[];
  private readonly rng: Rng;
  private readonly idKey: number;

  constructor(config: GeneratorConfig) {
    super(config, 'ecommerce', ecommerceMalformed);
    this.options = ecommerceOptions.parse(config.options);
    this.products = productCatalogue(config.seed, this.options.products);
    this.users = userPool(this.options.users);
    this.rng = new Rng(this.contentKey);
    this.idKey = streamKey(config.seed, 'ecommerce', 'id');
  }

  /** The clean event for `origin`, before any fault. */
  event(origin: number): EcommerceEvent {
    const rng = this.rng.at(origin);
    const user = rng.pick(this.users);
    const product = rng.pick(this.products);
    const purchase = rng.chance(this.options.purchaseShare);
    const price = purchase ? (Math.round(product.basePrice * rng.uniform(0.9, 1.1) * 100) / 100).toFixed(2) : '';
    const timestamp = new Date(this.eventTime(origin, rng.next())).toISOString();
    return {
      event_id: this.eventId(origin, user, product.id, timestamp),
      user_id: user,
      product_id: product.id,
      product_name: product.name,
      product_category: product.category,
      event_type: purchase ? 'purchase' : 'view',
      price,
      event_timestamp: timestamp,
    };
  }

  keys(origin: number): string[] {
    // The hash scheme needs only the index: the ground truth of a million events stays cheap.
    return [this.options.idScheme === 'hash' ? this.eventId(origin, '', '', '') : this.event(origin).event_id];
  }

  protected encode(origin: number, plan: OwnPlan): Payload {
    const event = this.event(origin);
    const rng = this.rng; // continues the origin's stream: fault details are deterministic too
    switch (plan.kind) {
      case 'valid':
        return row(event);
      case 'late':
        event.event_timestamp = shiftIso(event.event_timestamp, -rng.uniform(1, 6) * HOUR_MS);
        return row(event);
      case 'future':
        event.event_timestamp = new Date(FUTURE_TIME_MS + rng.int(HOUR_MS)).toISOString();
        return row(event);
      case 'malformed':
        return this.malformed(event, plan.malformed);
    }
  }

  private malformed(event: EcommerceEvent, kind: string): Payload {
    switch (kind) {
      case 'broken_quoting': {
        const line = row(event);
        const at = line.indexOf(event.product_name);
        return `${line.slice(0, at)}"${line.slice(at)}`;
      }
      case 'wrong_column_count':
        return stringify([Object.values(event).slice(0, -1)], { eof: false });
      case 'invalid_utf8': {
        const [before, after] = splitOnce(row(event), event.product_name);
        // 0xC3 starts a two-byte sequence; 0x28 cannot continue it.
        return Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]);
      }
      case 'missing_user_id':
        return row({ ...event, user_id: '' });
      case 'price_not_a_number':
        return row({ ...event, event_type: 'purchase', price: 'abc' });
      case 'click_event':
        return row({ ...event, event_type: 'click' });
      case 'negative_price':
        return row({ ...event, event_type: 'purchase', price: '-50.00' });
      case 'view_with_price':
        return row({ ...event, event_type: 'view', price: '19.99' });
      default:
        throw new Error(`unknown e-commerce malformed kind "${kind}"`);
    }
  }

  private eventId(index: number, user: string, product: string, timestamp: string): string {
    if (this.options.idScheme === 'md5') {
      return uuidFromBytes(createHash('md5').update(`${user}_${product}_${timestamp}`).digest());
    }
    // mix32 is a bijection, so w0 is unique per low half and w1 per high half given w0: ids are
    // unique per index, look random, and differ between seeds.
    const lo = index >>> 0;
    const hi = Math.floor(index / 0x1_0000_0000);
    const w0 = mix32(this.idKey ^ lo);
    const w1 = mix32(w0 ^ hi ^ 0x2545f491);
    const w2 = mix32(w1 + this.idKey);
    const words = [w0, w1, w2, mix32(w2 ^ 0x9e3779b9)];
    const hex = words.map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

function row(event: EcommerceEvent): string {
  return stringify([Object.values(event)], { eof: false });
}

function shiftIso(iso: string, deltaMs: number): string {
  return new Date(Date.parse(iso) + Math.floor(deltaMs)).toISOString();
}

function splitOnce(text: string, marker: string): [string, string] {
  const at = text.indexOf(marker);
  return [text.slice(0, at), text.slice(at + marker.length)];
}

function uuidFromBytes(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
