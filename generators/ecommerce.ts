import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Generator, HOUR_MS, type GeneratorConfig, type Payload } from './generator.ts';
import type { MalformedKind, OwnPlan } from './faults.ts';
import { productCatalogue, userPool, type Product } from './catalogue.ts';
import { csvRow } from './csv-row.ts';
import { IsoClock } from './iso-clock.ts';
import { put, type LineBuffer } from './line-buffer.ts';
import { mix32, Rng, streamKey } from './random.ts';
import { Zipf } from './zipf.ts';

export const ecommerceOptions = z
  .object({
    users: z.number().int().min(1).max(10_000_000).default(1000).describe('Size of the user pool (USER_000001..).'),
    products: z.number().int().min(8).max(100_000).default(64).describe('Size of the product catalogue (at least 8).'),
    purchaseShare: z.number().min(0).max(1).default(0.3).describe('Share of events that are purchases; the rest are views.'),
    idScheme: z
      .enum(['hash', 'md5'])
      .default('hash')
      .describe('event_id: "hash" (unique per index, fast) or "md5" (seed 001: md5 of user_product_timestamp).'),
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
  { kind: 'truncated_row', reason: 'column_count', description: 'the row cut off after its third column' },
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


/** Products a session looks at; it views among them and may buy one. */
const SESSION_CANDIDATES = 3;

interface Session {
  id: number;
  /** Indices into the user pool and the catalogue. */
  user: number;
  candidates: number[];
}

interface Draw {
  user: number;
  product: number;
  purchase: boolean;
  price: string;
  eventMs: number;
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const VIEW = Buffer.from('view,,');
const PURCHASE = Buffer.from('purchase,');
const HEX_DIGITS = Buffer.from('0123456789abcdef');

export class EcommerceGenerator extends Generator {
  readonly dataset = 'ecommerce' as const;
  readonly format = 'csv' as const;
  readonly header = ecommerceColumns.join(',');
  private readonly options: EcommerceOptions;
  private readonly products: Product[];
  private readonly users: string[];
  private readonly productPick: Zipf;
  private readonly userPick: Zipf;
  private readonly rng: Rng;
  private readonly sessionRng: Rng;
  private readonly idKey: number;
  private readonly clock = new IsoClock();
  private readonly sessions: (Session | undefined)[] = [];
  private readonly scratch: Draw = { user: 0, product: 0, purchase: false, price: '', eventMs: 0 };
  private readonly words = new Uint32Array(4);
  /** Each user's and product's part of a row, encoded once. */
  private readonly userBytes: Buffer[];
  private readonly productBytes: Buffer[];
  private readonly maxRowBytes: number;

  constructor(config: GeneratorConfig) {
    super(config, 'ecommerce', ecommerceMalformed);
    this.options = ecommerceOptions.parse(config.options);
    this.products = productCatalogue(config.seed, this.options.products);
    this.users = userPool(this.options.users);
    this.productPick = new Zipf(this.products.length, this.options.productSkew, config.seed, 'products');
    this.userPick = new Zipf(this.users.length, this.options.userSkew, config.seed, 'users');
    this.rng = new Rng(this.contentKey);
    this.sessionRng = new Rng(streamKey(config.seed, 'ecommerce', 'session'));
    this.idKey = streamKey(config.seed, 'ecommerce', 'id');
    this.userBytes = this.users.map((user) => Buffer.from(`${user},`));
    this.productBytes = this.products.map((p) => Buffer.from(`${p.id},${csvField(p.name)},${csvField(p.category)},`));
    const longest = (parts: Buffer[]) => Math.max(...parts.map((part) => part.length));
    // id, user, product part, "purchase,", price, timestamp, separators: generous on the price.
    this.maxRowBytes = 37 + longest(this.userBytes) + longest(this.productBytes) + PURCHASE.length + 24 + 26;
  }

  /**
   * The draws behind the clean event for `origin`, into a reused scratch object. Sessions are laid
   * out in blocks of concurrentSessions x sessionLength indices: index i is step floor(o / K) of
   * session o mod K of its block, so a session's user, products and step are index arithmetic.
   */
  private draw(origin: number): Draw {
    const { sessionLength: length, concurrentSessions: concurrent, purchaseShare } = this.options;
    const rng = this.rng.at(origin);
    const d = this.scratch;
    let purchaseChance = purchaseShare;
    if (length > 1) {
      const block = Math.floor(origin / (concurrent * length));
      const offset = origin - block * concurrent * length;
      const step = Math.floor(offset / concurrent);
      const session = this.session(block * concurrent + (offset % concurrent), offset % concurrent);
      d.user = session.user;
      d.product = session.candidates[rng.int(SESSION_CANDIDATES)] as number;
      // Purchases rise along the session (never on its first event) and average purchaseShare.
      purchaseChance = (purchaseShare * 2 * step) / (length - 1);
    } else {
      d.user = this.userPick.pick(rng.next());
      d.product = this.productPick.pick(rng.next());
    }
    d.purchase = rng.next() < purchaseChance;
    d.price = d.purchase ? (Math.round((this.products[d.product] as Product).basePrice * rng.uniform(0.9, 1.1) * 100) / 100).toFixed(2) : '';
    d.eventMs = this.eventTime(origin, rng.next());
    return d;
  }

  /** The clean event for `origin`, before any fault. */
  event(origin: number): EcommerceEvent {
    const d = this.draw(origin);
    const user = this.users[d.user] as string;
    const product = this.products[d.product] as Product;
    const timestamp = this.clock.format(d.eventMs);
    return {
      event_id: this.options.idScheme === 'md5' ? md5Id(user, product.id, timestamp) : this.hashId(origin),
      user_id: user,
      product_id: product.id,
      product_name: product.name,
      product_category: product.category,
      event_type: d.purchase ? 'purchase' : 'view',
      price: d.price,
      event_timestamp: timestamp,
    };
  }

  /**
   * Valid rows, the bulk of a file, go straight into the file's bytes: building each row as a
   * string and encoding it cost 0.4 us of about 1.4 us a record (measured). A test holds these
   * bytes equal to `payload()`'s.
   */
  override appendPayload(index: number, lines: LineBuffer): void {
    const { origin, plan } = this.planner.origin(index);
    if (plan.kind !== 'valid' || this.options.idScheme !== 'hash') {
      lines.append(this.encode(origin, plan));
      return;
    }
    const d = this.draw(origin);
    let o = lines.reserve(this.maxRowBytes);
    const b = lines.raw;
    o = this.writeHashId(b, o, origin);
    b[o++] = COMMA;
    o = put(b, o, this.userBytes[d.user] as Buffer);
    o = put(b, o, this.productBytes[d.product] as Buffer);
    if (d.purchase) {
      o = put(b, o, PURCHASE);
      o += b.write(d.price, o, 'latin1');
      b[o++] = COMMA;
    } else {
      o = put(b, o, VIEW);
    }
    o = this.clock.write(b, o, d.eventMs);
    b[o++] = NEWLINE;
    lines.commit(o);
  }

  /**
   * A session's user and candidate products, from its own stream. Records of a session are
   * interleaved with the other sessions of its block, so one cached session per slot serves
   * every record of it when generating in order.
   */
  private session(id: number, slot: number): Session {
    const cached = this.sessions[slot];
    if (cached?.id === id) return cached;
    const rng = this.sessionRng.at(id);
    const session: Session = {
      id,
      user: this.userPick.pick(rng.next()),
      candidates: Array.from({ length: SESSION_CANDIDATES }, () => this.productPick.pick(rng.next())),
    };
    this.sessions[slot] = session;
    return session;
  }

  recordKey(origin: number): string {
    // The hash scheme needs only the index: the ground truth of a million events stays cheap.
    return this.options.idScheme === 'hash' ? this.hashId(origin) : this.event(origin).event_id;
  }

  keys(origin: number): string[] {
    return [this.recordKey(origin)];
  }

  protected encode(origin: number, plan: OwnPlan): Payload {
    const event = this.event(origin);
    const rng = this.rng; // continues the origin's stream: fault details are deterministic too
    switch (plan.kind) {
      case 'valid':
        return row(event);
      case 'late':
        event.event_timestamp = new Date(Date.parse(event.event_timestamp) - Math.floor(rng.uniform(1, 6) * HOUR_MS)).toISOString();
        return row(event);
      case 'future':
        event.event_timestamp = new Date(this.futureTime(Date.parse(event.event_timestamp), rng.next())).toISOString();
        return row(event);
      case 'malformed':
        return this.malformed(event, plan.malformed);
    }
  }

  private malformed(event: EcommerceEvent, kind: string): Payload {
    switch (kind) {
      case 'truncated_row':
        return csvRow(Object.values(event).slice(0, 3));
      case 'broken_quoting': {
        const line = row(event);
        const at = line.indexOf(event.product_name);
        return `${line.slice(0, at)}"${line.slice(at)}`;
      }
      case 'wrong_column_count':
        return csvRow([...Object.values(event), 'extra']);
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

  /**
   * mix32 is a bijection, so w0 is unique per low half of the index and w1 per high half given
   * w0: ids are unique per index, look random, and differ between seeds.
   */
  private idWords(index: number): Uint32Array {
    const lo = index >>> 0;
    const hi = Math.floor(index / 0x1_0000_0000);
    const w = this.words;
    w[0] = mix32(this.idKey ^ lo);
    w[1] = mix32((w[0] as number) ^ hi ^ 0x2545f491);
    w[2] = mix32((w[1] as number) + this.idKey);
    w[3] = mix32((w[2] as number) ^ 0x9e3779b9);
    return w;
  }

  /** The id as a UUID-shaped string: 32 hex digits of the words, the 13th replaced by version 8. */
  private hashId(index: number): string {
    const [w0, w1, w2, w3] = this.idWords(index) as unknown as [number, number, number, number];
    return `${hex8(w0)}-${hex4(w1 >>> 16)}-8${hex4(w1 & 0xffff).slice(1)}-${hex4(w2 >>> 16)}-${hex4(w2 & 0xffff)}${hex8(w3)}`;
  }

  /** The same id, written as bytes. */
  private writeHashId(b: Buffer, at: number, index: number): number {
    const w = this.idWords(index);
    let o = at;
    for (let n = 0; n < 32; n++) {
      if (n === 8 || n === 12 || n === 16 || n === 20) b[o++] = 0x2d;
      b[o++] = n === 12 ? 0x38 : (HEX_DIGITS[((w[n >>> 3] as number) >>> ((7 - (n & 7)) * 4)) & 15] as number);
    }
    return o;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex4(v: number): string {
  return (HEX[(v >>> 8) & 0xff] as string) + (HEX[v & 0xff] as string);
}

function hex8(v: number): string {
  return hex4(v >>> 16) + hex4(v & 0xffff);
}

function md5Id(user: string, product: string, timestamp: string): string {
  const hex = createHash('md5').update(`${user}_${product}_${timestamp}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** CSV of product names and categories, escaped once per distinct value. */
const escaped = new Map<string, string>();

function csvField(value: string): string {
  let field = escaped.get(value);
  if (field === undefined) {
    field = csvRow([value]);
    escaped.set(value, field);
  }
  return field;
}

/**
 * One CSV row. Only product name and category come from outside the generator's own alphabet
 * (ids, enums, numbers, timestamps), so only they go through the encoder, once each.
 */
function row(event: EcommerceEvent): string {
  return `${event.event_id},${event.user_id},${event.product_id},${csvField(event.product_name)},${csvField(event.product_category)},${event.event_type},${event.price},${event.event_timestamp}`;
}

function splitOnce(text: string, marker: string): [string, string] {
  const at = text.indexOf(marker);
  return [text.slice(0, at), text.slice(at + marker.length)];
}
