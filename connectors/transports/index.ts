import type { Generator } from '../../generators/index.ts';
import type { DeadLetterPublisher } from '../../pipeline/dead-letter-publisher.ts';
import type { Source } from '../../pipeline/source.ts';
import type { DeadLetterStream } from '../readers.ts';
import type { TransportType } from './specs.ts';
import type { RunTransport, TransportComponent, TransportContext } from './transport.ts';

export type { TransportType } from './specs.ts';

/** Any transport, whatever its own spec, location and writer options. */
type SomeTransport = TransportComponent<string, { type: string }, { type: string }, object>;

/**
 * Every transport, by the `type` a scenario names it with, loaded when a run first uses it: a CSV
 * run never loads Kafka's client, and no command loads a transport it does not use. A new one: its
 * folder, a line here, its spec in specs.ts.
 */
const loaders = {
  csv: async () => (await import('./csv/index.ts')).csv,
  kafka: async () => (await import('./kafka/index.ts')).kafka,
} satisfies Record<TransportType, () => Promise<SomeTransport>>;

type Transports = { [Type in TransportType]: Awaited<ReturnType<(typeof loaders)[Type]>> };
type SpecOf<Type extends TransportType> = Parameters<Transports[Type]['create']>[0];
type LocationOf<Type extends TransportType> = ReturnType<ReturnType<Transports[Type]['create']>['location']>;

/** Where a run's data went, as the run manifest records it: one shape per transport. */
export type TransportLocation = { [Type in TransportType]: LocationOf<Type> }[TransportType];

/** A transport seen through the seam, so that a spec or location picks its own component's methods. */
type Component<Type extends TransportType> = TransportComponent<Type, SpecOf<Type>, LocationOf<Type>, unknown>;

/** The loaders seen through the seam: indexed by a spec's or a location's own type, each gives that type's component. */
const registry: { [Type in TransportType]: () => Promise<Component<Type>> } = loaders;

/** The transport a scenario or a manifest names. */
export function loadTransport<Type extends TransportType>(type: Type): Promise<Component<Type>> {
  return registry[type]();
}

export async function createTransport<Type extends TransportType>(
  spec: SpecOf<Type> & { type: Type },
  context: TransportContext & { runDir: string },
): Promise<RunTransport<LocationOf<Type>>> {
  return (await loadTransport(spec.type)).create(spec, context);
}

/** Sources over a finished run's data, for `harness pipeline`. */
export async function sourcesFor<Type extends TransportType>(
  location: LocationOf<Type> & { type: Type },
  generators: Generator[],
  context: TransportContext,
): Promise<Source[]> {
  return (await loadTransport(location.type)).sourcesFor(location, generators, context);
}

export async function deadLetterPublisherFor<Type extends TransportType>(
  spec: SpecOf<Type> & { type: Type },
  context: TransportContext,
): Promise<DeadLetterPublisher | null> {
  return (await loadTransport(spec.type)).deadLetterPublisher(spec, context);
}

/** The run's dead letters as published besides the sink (a Kafka dead-letter topic), for the verifier; null when it had none. */
export async function deadLetterStreamFor<Type extends TransportType>(
  location: LocationOf<Type> & { type: Type },
  context: TransportContext,
): Promise<DeadLetterStream | null> {
  return (await loadTransport(location.type)).deadLetterReader?.(location, context) ?? null;
}

/** Where a run's data went, in words, as its transport describes it: for logs and report.html. */
export async function describeLocation<Type extends TransportType>(location: LocationOf<Type> & { type: Type }): Promise<string> {
  return (await loadTransport(location.type)).describe(location);
}

/** The run-time side of an interrupted run's transport again, for `harness resume`. */
export async function reopenTransport(
  spec: { type: TransportType },
  location: TransportLocation,
  context: TransportContext,
): Promise<RunTransport<TransportLocation>> {
  if (spec.type !== location.type) throw new Error(`the manifest's transport is ${location.type}, its scenario says ${spec.type}`);
  // The type test above is what ties the spec and the location to one component.
  const component = (await loadTransport(spec.type)) as TransportComponent<TransportType, typeof spec, TransportLocation, unknown>;
  return component.reopen(spec, location, context);
}
