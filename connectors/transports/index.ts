import type { Generator } from '../../generators/index.ts';
import type { DeadLetterPublisher } from '../../pipeline/dead-letter-publisher.ts';
import type { Source } from '../../pipeline/source.ts';
import type { DeadLetterStream } from '../readers.ts';
import { csv } from './csv/index.ts';
import { kafka } from './kafka/index.ts';
import type { RunTransport, TransportComponent, TransportContext } from './transport.ts';

/** Any transport, whatever its own spec, location and writer options. */
type SomeTransport = TransportComponent<string, { type: string }, { type: string }, object>;

/** Every transport, by the `type` a scenario names it with. A new one: its folder, a line here, its spec in the scenario schema. */
export const transports = { csv, kafka } satisfies Record<string, SomeTransport>;

type Transports = typeof transports;
export type TransportType = keyof Transports;
type SpecOf<Type extends TransportType> = Parameters<Transports[Type]['create']>[0];
type LocationOf<Type extends TransportType> = ReturnType<ReturnType<Transports[Type]['create']>['location']>;

/** Where a run's data went, as the run manifest records it: one shape per transport. */
export type TransportLocation = { [Type in TransportType]: LocationOf<Type> }[TransportType];

/** The registry seen through the seam, so that a spec or location picks its own component's methods. */
const registry: { [Type in TransportType]: TransportComponent<Type, SpecOf<Type>, LocationOf<Type>, unknown> } = transports;

export function createTransport<Type extends TransportType>(
  spec: SpecOf<Type> & { type: Type },
  context: TransportContext & { runDir: string },
): RunTransport<LocationOf<Type>> {
  return registry[spec.type].create(spec, context);
}

/** Sources over a finished run's data, for `harness pipeline`. */
export function sourcesFor<Type extends TransportType>(location: LocationOf<Type> & { type: Type }, generators: Generator[], context: TransportContext): Source[] {
  return registry[location.type].sourcesFor(location, generators, context);
}

export function deadLetterPublisherFor<Type extends TransportType>(spec: SpecOf<Type> & { type: Type }, context: TransportContext): DeadLetterPublisher | null {
  return registry[spec.type].deadLetterPublisher(spec, context);
}

/** The run's dead letters as published besides the sink (a Kafka dead-letter topic), for the verifier; null when it had none. */
export function deadLetterStreamFor<Type extends TransportType>(location: LocationOf<Type> & { type: Type }, context: TransportContext): DeadLetterStream | null {
  return registry[location.type].deadLetterReader?.(location, context) ?? null;
}

/** The run-time side of an interrupted run's transport again, for `harness resume`. */
export function reopenTransport(spec: { type: TransportType }, location: TransportLocation, context: TransportContext): RunTransport<TransportLocation> {
  if (spec.type !== location.type) throw new Error(`the manifest's transport is ${location.type}, its scenario says ${spec.type}`);
  // The type test above is what ties the spec and the location to one component.
  const component = registry[spec.type] as TransportComponent<TransportType, typeof spec, TransportLocation, unknown>;
  return component.reopen(spec, location, context);
}
