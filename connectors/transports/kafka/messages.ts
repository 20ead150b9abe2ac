import type { KafkaMessage } from 'kafkajs';
import type { Generator } from '../../../generators/index.ts';
import { LineBuffer } from '../../../generators/line-buffer.ts';
import { formatHarnessHeader, HARNESS_HEADER, headerValue, parseHarnessHeader } from './header.ts';

/** One message as both producer clients take it. */
export interface OutgoingMessage {
  key: string;
  /** The generator's bytes (a view into the chunk's buffer). */
  value: Buffer;
  /** Only on the messages that carry the `harness` header. */
  headers?: { [HARNESS_HEADER]: string };
}

export interface ChunkMessageOptions {
  runId: string;
  /** Every message carries the `harness` header (`transport.headers`). */
  headers: boolean;
  /** Time zero of the schedule, for the header's intended send time. */
  startedAtMs: number;
  /** Records already in the topic (a resumed run): left out. */
  skip: ReadonlySet<number>;
}

/**
 * The messages of indices [first, end). Key = the record's id (a duplicate keeps its original's),
 * value = the generator's bytes (malformed ones exactly as made). The send time is the message's
 * own timestamp (CreateTime, set by the client as it sends), the intended send time follows from
 * the schedule, and an invertible key names its record's index: so the `harness` header goes only
 * where the key cannot name the index (a duplicate, or any record when ids are not invertible),
 * unless every message is to carry it.
 *
 * The values are written as the CSV transport writes its lines, straight into one buffer per chunk
 * (the generators' fast path), and each message's value is a view of it: measured with kafkajs,
 * payload strings cost the producing thread about 8 us a message more than this (building them,
 * collecting them, and the client's UTF-8 encoding of each), a third of its time.
 */
export function chunkMessages(generator: Generator, first: number, end: number, options: ChunkMessageOptions): OutgoingMessage[] {
  const messages: OutgoingMessage[] = [];
  const starts: number[] = [];
  const lines = new LineBuffer((end - first) * 256);
  const always = options.headers || !generator.invertibleKeys;
  const sentAtMs = Date.now();
  for (let i = first; i < end; i++) {
    if (options.skip.has(i)) continue;
    const { origin } = generator.planner.origin(i);
    // reserve(0): where the next line starts.
    starts.push(lines.reserve(0));
    generator.appendPayload(i, lines);
    const message: OutgoingMessage = { key: generator.recordKey(origin), value: EMPTY };
    if (always || origin !== i) {
      const intendedAtMs = Math.round(options.startedAtMs + generator.schedule.offsetMs(i));
      message.headers = { [HARNESS_HEADER]: formatHarnessHeader({ runId: options.runId, index: i, sentAtMs, intendedAtMs }) };
    }
    messages.push(message);
  }
  // Views are taken once every line is in: the buffer may have moved while it grew.
  const bytes = lines.bytes();
  starts.push(bytes.length);
  for (const [at, message] of messages.entries()) message.value = bytes.subarray(starts[at], (starts[at + 1] as number) - 1);
  return messages;
}

const EMPTY = Buffer.alloc(0);

/** Record key -> index, for generators whose keys are invertible (null otherwise: then every message carries the header). */
export type KeyDecoder = ((key: string) => number | null) | null;

export function keyDecoder(generator: Generator): KeyDecoder {
  return generator.invertibleKeys ? (key) => generator.decodeRecordKey(key) : null;
}

/**
 * The generator index a message of run `runId` holds, the reverse of `chunkMessages`: its
 * `harness` header's when it has one (null when that names another run), else its key decoded.
 * Null when neither names a record. The caller rejects an index at or past the run's count.
 */
export function messageIndex(message: KafkaMessage, runId: string, decode: KeyDecoder): number | null {
  const harness = parseHarnessHeader(headerValue(message, HARNESS_HEADER));
  if (harness) return harness.runId === runId && Number.isSafeInteger(harness.index) && harness.index >= 0 ? harness.index : null;
  // Keys are ASCII ids: latin1 is the cheapest faithful decoding, and anything else fails to decode.
  return decode && message.key ? decode(message.key.toString('latin1')) : null;
}
