/**
 * Keepalive profiles: a named set of the three keepalive values, the presets Idlewatch offers,
 * and the validation every entry point applies (UI, CLI, API, import) before anything reaches
 * the elevated helper — which validates again. Limits: the kernel's, KEEPALIVE.md §1.1
 * (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL 32767 s; tcp_keepalive_probes a u8 on current kernels).
 * Zod-free: the CLI's start-up path and the preload never load a schema library.
 */
import { printable } from './format';

/** The kernel's limits for each value, inclusive. */
export const PROFILE_LIMITS = {
  timeSec: { min: 1, max: 32767, label: 'time', unit: 's' },
  intervalSec: { min: 1, max: 32767, label: 'interval', unit: 's' },
  probes: { min: 1, max: 255, label: 'probes', unit: '' },
} as const;

export type ProfileField = keyof typeof PROFILE_LIMITS;
export const PROFILE_FIELDS = Object.keys(PROFILE_LIMITS) as ProfileField[];

export interface KeepaliveValues {
  timeSec: number;
  intervalSec: number;
  probes: number;
}

export interface KeepaliveProfile extends KeepaliveValues {
  /** Stable id: a preset's name (`server`), `custom:<slug>`, or the spec itself (`600/60/5`). */
  id: string;
  name: string;
  /** One line on why: shown wherever the profile is offered. */
  rationale: string;
  builtIn: boolean;
}

/** Presets, from the seed note and the middleboxes of KEEPALIVE.md §4. */
export const PRESETS: readonly KeepaliveProfile[] = [
  {
    id: 'kernel-default',
    name: 'Kernel default',
    timeSec: 7200,
    intervalSec: 75,
    probes: 9,
    rationale: 'What the kernel starts with: a silent peer is found after 2 h 11 min.',
    builtIn: true,
  },
  {
    id: 'server',
    name: 'Server',
    timeSec: 600,
    intervalSec: 60,
    probes: 5,
    rationale: 'The common server recommendation: first probe after 10 min idle, a dead peer found after 15 min.',
    builtIn: true,
  },
  {
    id: 'web-server',
    name: 'Web server',
    timeSec: 900,
    intervalSec: 60,
    probes: 5,
    rationale: 'For a web server with moderate traffic: a dead peer is found 20 min after it goes silent.',
    builtIn: true,
  },
  {
    id: 'cloud-nat',
    name: 'Cloud NAT',
    timeSec: 180,
    intervalSec: 30,
    probes: 5,
    rationale: 'First probe before AWS NLB / NAT Gateway (350 s) and Azure LB / NAT (4 min) forget the flow.',
    builtIn: true,
  },
  {
    id: 'fast-detect',
    name: 'Fast detect',
    timeSec: 60,
    intervalSec: 10,
    probes: 6,
    rationale: 'A dead peer is found within 2 minutes.',
    builtIn: true,
  },
];

export type ProfileCheck<T> = { ok: true; value: T } | { ok: false; error: string };

/** A value checked against its field's limits; the message names the field and its range. */
export function checkField(field: ProfileField, value: unknown): ProfileCheck<number> {
  const { min, max, label, unit } = PROFILE_LIMITS[field];
  const range = `${min}–${max}${unit ? ` ${unit}` : ''}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) return { ok: false, error: `${label} must be a whole number from ${range}` };
  if (value < min || value > max) return { ok: false, error: `${label} must be from ${range}, got ${value}` };
  return { ok: true, value };
}

/** All three values checked; the first field out of range is named. */
export function checkValues(values: { timeSec: unknown; intervalSec: unknown; probes: unknown }): ProfileCheck<KeepaliveValues> {
  const out: Partial<KeepaliveValues> = {};
  for (const field of PROFILE_FIELDS) {
    const checked = checkField(field, values[field]);
    if (!checked.ok) return checked;
    out[field] = checked.value;
  }
  return { ok: true, value: out as KeepaliveValues };
}

/** Each field with its range, for a message about the whole spec: "time 1–32767 s, interval 1–32767 s, probes 1–255". */
const RANGES = PROFILE_FIELDS.map((field) => {
  const { min, max, label, unit } = PROFILE_LIMITS[field];
  return `${label} ${min}–${max}${unit ? ` ${unit}` : ''}`;
}).join(', ');

/** Untrusted text quoted in a message: short, and safe to print in a terminal. */
const quoted = (text: string) => `"${printable(text.slice(0, 40))}${text.length > 40 ? '…' : ''}"`;

/**
 * `TIME/INTVL/PROBES`, e.g. `600/60/5`: three parts of decimal digits only, each within the
 * kernel's limits. A refusal names the field at fault and its range ("-1", "6e2" and "5x" are not
 * whole numbers to the helper either, which takes digits only).
 */
export function parseProfileSpec(text: string): ProfileCheck<KeepaliveValues> {
  const parts = text.trim().split('/');
  if (parts.length !== PROFILE_FIELDS.length) {
    return { ok: false, error: `${quoted(text)} is not TIME/INTERVAL/PROBES such as 600/60/5 (${RANGES})` };
  }
  const values: Record<ProfileField, number> = { timeSec: 0, intervalSec: 0, probes: 0 };
  for (const [i, field] of PROFILE_FIELDS.entries()) {
    const part = parts[i]!;
    // Up to 6 digits: enough to be refused as out of range by checkField, never a float's rounding.
    if (!/^\d{1,6}$/.test(part)) {
      const { min, max, label, unit } = PROFILE_LIMITS[field];
      return { ok: false, error: `${label} must be a whole number from ${min}–${max}${unit ? ` ${unit}` : ''}, got ${quoted(part)}` };
    }
    values[field] = Number(part);
  }
  return checkValues(values);
}

/** The spec of some values: `600/60/5`. */
export const profileSpec = (v: KeepaliveValues) => `${v.timeSec}/${v.intervalSec}/${v.probes}`;

/**
 * A profile by id — a preset, a saved custom profile — or by spec (`600/60/5`), which makes an
 * unnamed one. Unknown ids are refused with the ids that exist.
 */
export function resolveProfile(idOrSpec: string, custom: readonly KeepaliveProfile[] = []): ProfileCheck<KeepaliveProfile> {
  const known = [...PRESETS, ...custom].find((p) => p.id === idOrSpec);
  if (known) return { ok: true, value: known };
  // No id holds a slash (presets are words, custom ids `custom:<slug>`): anything with one is meant as a spec.
  if (idOrSpec.includes('/')) {
    const spec = parseProfileSpec(idOrSpec);
    if (!spec.ok) return spec;
    const id = profileSpec(spec.value);
    return { ok: true, value: { id, name: id, rationale: 'Custom values.', builtIn: false, ...spec.value } };
  }
  const ids = [...PRESETS, ...custom].map((p) => p.id).join(', ');
  return { ok: false, error: `unknown profile ${quoted(idOrSpec)}: use one of ${ids}, or TIME/INTERVAL/PROBES such as 600/60/5` };
}

/**
 * Where the elevated helper persists a profile on Linux (its C source has the same fixed path):
 * named to sort after Debian's 99-sysctl.conf, so it wins at boot where it can.
 */
export const LINUX_KEEPALIVE_DROP_IN = '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf';

/** How long after its last packet a silent peer is dropped under these values. */
export const detectionMs = (v: KeepaliveValues) => (v.timeSec + v.probes * v.intervalSec) * 1000;
