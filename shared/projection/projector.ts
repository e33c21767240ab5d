/**
 * What an operating system's projector answers: given one socket's facts, what its kernel will
 * do if the peer goes silent from now on. Each platform adapter brings its own (DESIGN.md "The
 * data, end to end"); the neutral parts — middleboxes and applications that close idle
 * connections — are applied on top by ./project.ts for every OS alike.
 */
import type { Clock, EffectiveKeepalive, KeepaliveSettings, KernelDropReason, OperatingSystem, Precision, SocketFacts } from '../model';

export interface ProjectorContext {
  /** The epoch ms at which the facts were read. */
  now: number;
  settings: KeepaliveSettings;
  clock: Clock;
}

/** The kernel's own end of a connection whose peer stays silent. */
export interface KernelProjection {
  /** Every keepalive probe still to come (epoch ms), the next one first; empty when none will be sent. */
  probesAt: number[];
  dropAt: number;
  /** [earliest, latest] the kernel's timers allow; dropAt lies inside. */
  window: [number, number];
  reason: KernelDropReason;
}

export interface Projector {
  readonly os: OperatingSystem;
  /** The keepalive values that govern the socket: its own where read, else the system's. */
  effective(facts: SocketFacts, settings: KeepaliveSettings): EffectiveKeepalive;
  /**
   * When the kernel probes and drops the socket; null when it never will (keepalive off, listening, closed).
   * `armedWith`: the values the socket's keepalive timer was armed under, when they differ from
   * `effective` (a what-if under other settings, ./what-if.ts): an armed timer keeps its expiry,
   * and how far ahead it was armed decides where the OS's timer wheel fires it.
   */
  kernel(facts: SocketFacts, ctx: ProjectorContext, effective: EffectiveKeepalive, armedWith?: EffectiveKeepalive): KernelProjection | null;
  /** How exact this OS's projections are with this clock. */
  precision(clock: Clock): Precision;
}
