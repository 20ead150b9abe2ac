import { describe, expect, it } from 'vitest';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { classifyKafkaFailure, defaultConnectTimeoutMs, formatBudget, kafkaBrokers, kafkaReason } from '../../connectors/transports/kafka/client.ts';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { loadScenario, maxAliasCount, parseScenario } from '../../scenarios/load.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

function rejection(run: () => unknown): HarnessError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HarnessError);
    return error as HarnessError;
  }
  throw new Error('expected a HarnessError');
}

const file = 'scenarios/x.yaml';
const scenarioError = (text: string) => rejection(() => parseScenario(text, file));

/** Billion laughs: nine levels of ten aliases each, 10^9 leaves once expanded. */
const aliasBomb = [
  'name: t',
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((level, i) => {
    const previous = 'abcdefghi'[i] as string;
    return `${level}: &${level} [${Array(10).fill(`*${previous}`).join(',')}]`;
  }),
  'datasets:',
  '  lol: { count: 1 }',
  '',
].join('\n');

describe('YAML aliases and empty files in scenarios', () => {
  it('an alias without anchor is a scenario error at the alias, not a ReferenceError', () => {
    const error = scenarioError('name: t\ndatasets:\n  ecommerce: *nope\n');
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toBe('scenarios/x.yaml:3:14: alias *nope has no anchor before it (write &name on a node above, then *name)');
  });

  it('an alias bomb fails fast, with the line of the alias past the cap', () => {
    const started = performance.now();
    const error = scenarioError(aliasBomb);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.exitCode).toBe(ExitCode.usage);
    // a counts 11 (itself and 10 uses), so b's 9th use passes 100: line 4 (c), column of that *b.
    expect(error.message).toMatch(/^scenarios\/x\.yaml:4:\d+: too many aliases at \*b: .*100/);
    const column = Number(/:4:(\d+):/.exec(error.message)?.[1]);
    expect(aliasBomb.split('\n')[3]?.slice(column - 1, column + 1)).toBe('*b');
  });

  it('many uses of one anchor pass the cap too; a few are fine', () => {
    const uses = (n: number) => `name: t\nx: &v 1\nl: [${Array(n).fill('*v').join(', ')}]\ndatasets:\n  lol: { count: 1 }\n`;
    expect(scenarioError(uses(maxAliasCount + 50)).message).toMatch(/^scenarios\/x\.yaml:3:\d+: too many aliases at \*v/);
    // Within the cap the aliases resolve; what is left is the schema's own complaint.
    expect(scenarioError(uses(10)).message).toContain('/x: unknown key');
    const shared = parseScenario('name: t\ndatasets:\n  ecommerce: &d { count: 7 }\n  lol: *d\n', file);
    expect(shared.datasets.lol?.count).toBe(7);
  });

  it('an empty file, or one of only comments and blank lines, says so with the path', () => {
    for (const text of ['', '\n\n', '# just a comment\n\n   \n# another\n', '---\n']) {
      const error = scenarioError(text);
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(error.message).toBe('scenarios/x.yaml: the file is empty; a scenario needs at least name and datasets');
    }
    const dir = tempDir();
    const path = writeScenario(dir, '# nothing yet\n', 'empty.yaml');
    expect(rejection(() => loadScenario(path, {})).message).toBe(`${path}: the file is empty; a scenario needs at least name and datasets`);
  });
});

describe('KAFKA_BROKERS', () => {
  const brokers = (value: string | undefined) => kafkaBrokers(value === undefined ? {} : { KAFKA_BROKERS: value });

  it('takes a list of host:port, spaces around entries allowed', () => {
    expect(brokers('localhost:9092')).toEqual(['localhost:9092']);
    expect(brokers(' kafka-1.example.com:9092 , 10.0.0.7:19092,kafka_2:1 ,')).toEqual(['kafka-1.example.com:9092', '10.0.0.7:19092', 'kafka_2:1']);
    expect(brokers('[::1]:9092, [fd00::2]:65535')).toEqual(['[::1]:9092', '[fd00::2]:65535']);
  });

  it('refuses a malformed value at once, naming the variable and the entry', () => {
    const refused = (value: string) => {
      const error = rejection(() => brokers(value));
      expect(error.code).toBe('config');
      expect(error.exitCode).toBe(ExitCode.usage);
      return error.message;
    };
    expect(refused('not a broker')).toBe('KAFKA_BROKERS="not a broker": "not a broker" is not host:port (e.g. localhost:9092)');
    expect(refused('host:')).toBe('KAFKA_BROKERS="host:": "host:" is not host:port (the port is missing; e.g. localhost:9092)');
    expect(refused(':9092')).toBe('KAFKA_BROKERS=":9092": ":9092" is not host:port (the host is missing; e.g. localhost:9092)');
    expect(refused('host:0')).toContain('"host:0" is not host:port (port 0 is outside 1-65535');
    expect(refused('host:99999')).toContain('"host:99999" is not host:port (port 99999 is outside 1-65535');
    expect(refused('host:9092x')).toContain('"host:9092x" is not host:port');
    expect(refused('localhost:9092,bad')).toBe('KAFKA_BROKERS="localhost:9092,bad": "bad" is not host:port (e.g. localhost:9092)');
    expect(refused('999.1.1.1:9092')).toContain('"999.1.1.1:9092" is not host:port');
    expect(refused('::1:9092')).toContain('an IPv6 address goes in brackets: [::1]:9092');
    expect(refused('[nope]:9092')).toContain('nope in brackets is not an IPv6 address');
    expect(refused('PLAINTEXT://localhost:9092')).toContain('write it without the scheme://');
  });

  it('never echoes credentials', () => {
    for (const value of ['alice:s3cret@broker:9092', 'SASL_SSL://alice:s3cret@broker:9092', 'ok:1, alice:s3cret@broker:9092']) {
      const message = rejection(() => brokers(value)).message;
      expect(message).not.toContain('s3cret');
      expect(message).not.toContain('alice');
      expect(message).toContain('***@broker:9092');
    }
  });

  it('is required for transport: kafka', () => {
    expect(rejection(() => brokers(undefined)).message).toContain('transport: kafka needs KAFKA_BROKERS');
    expect(rejection(() => brokers(' , ')).message).toContain('transport: kafka needs KAFKA_BROKERS');
  });
});

describe('Kafka connect budget and reasons', () => {
  it('defaults to 30 s, and a scenario can set it', () => {
    expect(defaultConnectTimeoutMs).toBe(30_000);
    const kafka = (extra: string) => parseScenario(`name: t\ntransport: { type: kafka${extra} }\ndatasets:\n  lol: { count: 1 }\n`, file).transport;
    expect(kafka('')).toMatchObject({ type: 'kafka', connectTimeout: defaultConnectTimeoutMs });
    expect(kafka(', connectTimeout: 3s')).toMatchObject({ connectTimeout: 3000 });
    expect(scenarioError(`name: t\ntransport: { type: kafka, connectTimeout: 0s }\ndatasets:\n  lol: { count: 1 }\n`).message).toContain(
      '/transport/connectTimeout: expected a duration above 0',
    );
    expect(scenarioError(`name: t\ntransport: { type: kafka, connectTimeout: soon }\ndatasets:\n  lol: { count: 1 }\n`).message).toContain(
      '/transport/connectTimeout: expected a duration like 250ms',
    );
  });

  it('prints budgets as they are written', () => {
    expect([30_000, 3000, 1500, 500, 120_000].map(formatBudget)).toEqual(['30s', '3s', '1.5s', '500ms', '2m']);
  });

  it('unwraps kafkajs errors to their cause, one line, no stack', () => {
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const exceeded = new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 15, retryTime: 5000 });
    expect(kafkaReason(exceeded)).toBe('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const refused = new AggregateError([new Error('connect ECONNREFUSED ::1:1'), new Error('connect ECONNREFUSED 127.0.0.1:1')], '');
    expect(kafkaReason(new Error('Connection error: ', { cause: refused }))).toBe('connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1');
    expect(kafkaReason(new Error('first line\n    at somewhere (file.js:1:1)'))).toBe('first line');
  });

  it('classifies a Kafka failure before wrapping it: only a lost connection is exit 3, a refusal exit 2, a bug stays a bug', () => {
    const lost = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'), {
      retryCount: 15,
      retryTime: 5000,
    });
    // Only a HarnessError has an exit code: anything else reads undefined and fails the assertion.
    const exitCodeOf = (error: Error) => (error instanceof HarnessError ? error.exitCode : undefined);
    const unreachable = classifyKafkaFailure(lost, 'producing to t');
    expect(unreachable).toBeInstanceOf(HarnessError);
    expect(exitCodeOf(unreachable)).toBe(ExitCode.unreachable);
    expect(unreachable.message).toBe('producing to t failed after retries: Connection error: connect ECONNREFUSED 127.0.0.1:1');
    // librdkafka: a local transport error, and a broker's refusal (87: INVALID_RECORD).
    expect(exitCodeOf(classifyKafkaFailure(Object.assign(new Error('Local: Broker transport failure'), { code: -195 }), 'x'))).toBe(ExitCode.unreachable);
    const invalid = classifyKafkaFailure(Object.assign(new Error('Broker: Invalid record'), { code: 87 }), 'producing to t');
    expect(exitCodeOf(invalid)).toBe(ExitCode.usage);
    expect(invalid.message).toBe('producing to t: the broker refused it: Broker: Invalid record');
    const tooLarge = new KafkaJSProtocolError(
      Object.assign(new Error('The request included a message larger than the max message size'), { type: 'MESSAGE_TOO_LARGE', code: 10 }),
    );
    expect(exitCodeOf(classifyKafkaFailure(tooLarge, 'x'))).toBe(ExitCode.usage);
    const bug = new TypeError("Cannot read properties of undefined (reading 'offset')");
    expect(classifyKafkaFailure(bug, 'x')).toBe(bug);
    const already = new HarnessError('unreachable', 'said already');
    expect(classifyKafkaFailure(already, 'x')).toBe(already);
  });
});

describe('load profiles in scenarios', () => {
  const withLoad = (lines: string) => `name: t\ndatasets:\n  ecommerce:\n${lines}\n`;

  it('derive the count from the profile', () => {
    const scenario = parseScenario(
      withLoad('    load: { executor: ramping-arrival-rate, startRate: 10, stages: [{ target: 100, duration: 10s }, { target: 0, duration: 1m30s }] }'),
      file,
    );
    expect(scenario.datasets.ecommerce?.count).toBe(5050);
  });

  it.each([
    [
      'a count that disagrees, naming both fields',
      '    count: 5\n    load: { executor: constant-arrival-rate, rate: 10, duration: 2s }',
      ':4:12 /datasets/ecommerce/count: count 5 disagrees with /load, whose rate integrates to 20 records',
    ],
    [
      'no stages',
      '    load: { executor: ramping-arrival-rate, stages: [] }',
      ':4:53 /datasets/ecommerce/load/stages: a ramping-arrival-rate profile needs at least one stage',
    ],
    [
      'a zero duration',
      '    load: { executor: ramping-arrival-rate, stages: [{ target: 5, duration: 0s }] }',
      ':4:77 /datasets/ecommerce/load/stages/0/duration: expected a duration above 0',
    ],
    [
      'a negative target',
      '    load: { executor: ramping-arrival-rate, stages: [{ target: -5, duration: 1s }] }',
      ':4:64 /datasets/ecommerce/load/stages/0/target: Too small',
    ],
    [
      'a non-finite rate',
      '    load: { executor: constant-arrival-rate, rate: .inf, duration: 1s }',
      ':4:52 /datasets/ecommerce/load/rate: expected number, got Infinity',
    ],
    [
      'a total beyond the count limit',
      '    load: { executor: constant-arrival-rate, rate: 1e9, duration: 10000h }',
      ':4:11 /datasets/ecommerce/load: the profile produces 36000000000000000 records, beyond the limit',
    ],
    [
      'an unknown executor',
      '    load: { executor: surge }',
      ':4:23 /datasets/ecommerce/load/executor: unknown executor "surge"; expected one of constant-arrival-rate, ramping-arrival-rate',
    ],
    [
      'a closed-model executor, saying why',
      '    load: { executor: ramping-vus, stages: [] }',
      ":4:23 /datasets/ecommerce/load/executor: executor ramping-vus is a closed-model executor: k6's virtual users wait for each response",
    ],
    [
      'rate beside a profile',
      '    rate: 5\n    load: { executor: constant-arrival-rate, rate: 10, duration: 2s }',
      ':4:11 /datasets/ecommerce/rate: rate is the simple form of a load profile: give it or `load`, not both',
    ],
    ['neither count nor profile', '    rate: 5', ':4:5 /datasets/ecommerce/count: count is required'],
    [
      'a profile with no record',
      '    load: { executor: ramping-arrival-rate, stages: [{ target: 0, duration: 5s }] }',
      ':4:11 /datasets/ecommerce/load: the profile produces no record',
    ],
  ])('reject %s with exit 2 at file:line:col', (_, lines, expected) => {
    const error = scenarioError(withLoad(lines));
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toContain(`${file}${expected}`);
  });
});
