import { createHash } from 'node:crypto';
import { Generator, HOUR_MS, type GeneratorConfig, type Payload } from './generator.ts';
import type { OwnPlan } from './faults.ts';
import { ecommerceColumns, ecommerceMalformed, ecommerceOptions, type EcommerceEvent, type EcommerceOptions } from './ecommerce-spec.ts';
import { productCatalogue, userPool, type Product } from './catalogue.ts';
import { csvRow } from './csv-row.ts';
import { IsoClock } from './iso-clock.ts';
import { put, type LineBuffer } from './line-buffer.ts';
import { Feistel64 } from './ids.ts';
import { mix32, Rng, streamKey } from './random.ts';
import { Zipf } from './zipf.ts';

export { ecommerceColumns, ecommerceMalformed, ecommerceOptions, type EcommerceEvent, type EcommerceOptions } from './ecommerce-spec.ts';

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
  /** True with idScheme hash; md5 ids (seed 001) are a hash of the record's content. */
  readonly invertibleKeys: boolean;
  private readonly options: EcommerceOptions;
  private readonly products: Product[];
  private readonly users: string[];
  private readonly productPick: Zipf;
  private readonly userPick: Zipf;
  private readonly rng: Rng;
  private readonly sessionRng: Rng;
  /** The id permutation, keyed by (seed, base time): every run has its own ids. */
  private readonly ids: Feistel64;
  /** Keys of the check digits: an id decodes only under the key that made it. */
  private readonly checkKey0: number;
  private readonly checkKey1: number;
  private readonly clock = new IsoClock();
  private readonly sessions: (Session | undefined)[] = [];
  private readonly scratch: Draw = { user: 0, product: 0, purchase: false, price: '', eventMs: 0 };
  /** The id's words: the permuted index (hi, lo) and two check words; reused, no allocation. */
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
    const idKey = streamKey(config.seed, 'ecommerce', 'id', String(config.baseTimeMs));
    this.ids = new Feistel64(idKey);
    this.checkKey0 = mix32(idKey ^ 0x3c6ef372);
    this.checkKey1 = mix32(idKey ^ 0xa54ff53a);
    this.invertibleKeys = this.options.idScheme === 'hash';
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
    return this.eventOf(origin, this.draw(origin));
  }

  /**
   * A valid event with its event time as epoch ms, skipping the text timestamp: what the verifier
   * regenerates for a million rows, where formatting and parsing times back cost a third of it.
   * `id`: the event's id when the caller already decoded it to `origin` (building it again costs a
   * sixth of the verifier's time).
   */
  validEvent(origin: number, id?: string): { event: EcommerceEvent; eventMs: number } {
    const d = this.draw(origin);
    if (this.options.idScheme === 'md5') return { event: this.eventOf(origin, d), eventMs: d.eventMs };
    const product = this.products[d.product] as Product;
    const event = {
      event_id: id ?? this.hashId(origin),
      user_id: this.users[d.user] as string,
      product_id: product.id,
      product_name: product.name,
      product_category: product.category,
      event_type: d.purchase ? 'purchase' : 'view',
      price: d.price,
      event_timestamp: '',
    };
    return { event, eventMs: d.eventMs };
  }

  private eventOf(origin: number, d: Draw): EcommerceEvent {
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

  /**
   * The event as emitted under a plan that keeps it an event: valid, late (event time shifted back),
   * future-dated, or a repairable malformed kind. The verifier compares sink rows with it.
   */
  emitted(origin: number, plan: OwnPlan): EcommerceEvent {
    const event = this.event(origin);
    const rng = this.rng; // continues the origin's stream: fault details are deterministic too
    switch (plan.kind) {
      case 'late':
        event.event_timestamp = new Date(Date.parse(event.event_timestamp) - Math.floor(rng.uniform(1, 6) * HOUR_MS)).toISOString();
        return event;
      case 'future':
        event.event_timestamp = new Date(this.futureTime(Date.parse(event.event_timestamp), rng.next())).toISOString();
        return event;
      case 'malformed':
        if (plan.malformed === 'view_with_price') return { ...event, event_type: 'view', price: '19.99' };
        return event;
      default:
        return event;
    }
  }

  protected encode(origin: number, plan: OwnPlan): Payload {
    if (plan.kind !== 'malformed' || plan.malformed === 'view_with_price') return row(this.emitted(origin, plan));
    return this.malformed(this.event(origin), plan.malformed);
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
        return csvRow([...(Object.values(event) as string[]), 'extra']);
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
      default:
        throw new Error(`unknown e-commerce malformed kind "${kind}"`);
    }
  }

  /**
   * The index of the event whose event_id is `key`, or null when no event of this run has it (see
   * `hashId` for the layout): wrong shape, upper-case hex, check digits of another key, or words
   * that are not the image of an index. Any 36 characters cost the same: no table, no search.
   */
  decodeRecordKey(key: string): number | null {
    if (this.options.idScheme !== 'hash') {
      throw new Error('e-commerce event ids are not invertible with idScheme md5: map them with a table');
    }
    if (key.length !== 36) return null;
    if (key.charCodeAt(8) !== 0x2d || key.charCodeAt(13) !== 0x2d || key.charCodeAt(18) !== 0x2d || key.charCodeAt(23) !== 0x2d || key.charCodeAt(14) !== 0x38)
      return null;
    // The free digits in order (see hashId); a digit that is not lower-case hex sets `bad`'s sign.
    let hi = 0;
    let lo = 0;
    let c0 = 0;
    let c1 = 0;
    let bad = 0;
    for (let f = 0; f < 31; f++) {
      const c = key.charCodeAt(FREE_DIGITS[f] as number);
      const nibble = c < 128 ? (NIBBLES[c] as number) : -1;
      bad |= nibble;
      if (f < 8) hi = (hi << 4) | nibble;
      else if (f < 16) lo = (lo << 4) | nibble;
      else if (f < 24) c0 = (c0 << 4) | nibble;
      else c1 = (c1 << 4) | nibble;
    }
    if (bad < 0) return null;
    hi >>>= 0;
    lo >>>= 0;
    c0 >>>= 0;
    const w = this.checkWords(hi, lo);
    if (c0 !== w[2] || (c1 << 4) >>> 0 !== ((w[3] as number) & 0xfffffff0) >>> 0) return null;
    return this.ids.inverse(hi, lo);
  }

  /**
   * The id's words: the index permuted under the run's key (hi, lo), then the check words. The
   * check words are a function of the permuted words and the key; they make an id decode only
   * under the key that made it (c0 under another key differs whenever the key's checkKey0 does).
   */
  private idWords(index: number): Uint32Array {
    const p = this.ids.forward(index);
    return this.checkWords(p[0] as number, p[1] as number);
  }

  private checkWords(hi: number, lo: number): Uint32Array {
    const w = this.words;
    w[0] = hi;
    w[1] = lo;
    const c0 = mix32(((hi ^ this.checkKey0) + Math.imul(lo, 0x9e3779b1)) | 0);
    w[2] = c0;
    w[3] = mix32(c0 ^ lo ^ this.checkKey1);
    return w;
  }

  /**
   * The id, UUID-shaped (version 8): the 31 hex digits other than the 13th (the version '8') are,
   * in order, hi (8 digits), lo (8), the check word c0 (8) and the top 28 bits of c1 (7). So the
   * groups read hi-lo[0..3]-8lo[4..6]-lo[7]c0[0..2]-c0[3..7]c1[0..6]: 64 bits of permuted index,
   * 60 check bits, which a random UUID matches with probability 2^-60.
   */
  hashId(index: number): string {
    const [hi, lo, c0, c1] = this.idWords(index) as unknown as [number, number, number, number];
    const d = hex8(hi) + hex8(lo) + hex8(c0) + hex8(c1);
    return `${d.slice(0, 8)}-${d.slice(8, 12)}-8${d.slice(12, 15)}-${d.slice(15, 19)}-${d.slice(19, 31)}`;
  }

  /** The same id, written as bytes at `at`; returns the offset after it. */
  writeHashId(b: Buffer, at: number, index: number): number {
    const w = this.idWords(index);
    let o = at;
    for (let n = 0; n < 32; n++) {
      if (n === 8 || n === 12 || n === 16 || n === 20) b[o++] = 0x2d;
      if (n === 12) {
        b[o++] = 0x38;
        continue;
      }
      const f = n < 12 ? n : n - 1; // the free digit written here
      b[o++] = HEX_DIGITS[((w[f >>> 3] as number) >>> ((7 - (f & 7)) * 4)) & 15] as number;
    }
    return o;
  }
}

/** Lower-case hex digits' values by character code; -1 for every other character below 128. */
const NIBBLES = Int8Array.from({ length: 128 }, (_, c) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1));

/** Where the id's 31 free hex digits are (every character but the dashes and the version '8'). */
const FREE_DIGITS = Uint8Array.from([...Array(36).keys()].filter((at) => ![8, 13, 14, 18, 23].includes(at)));

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
