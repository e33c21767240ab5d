/**
 * Pure parse of
 * `Get-NetTCPConnection | Select-Object LocalAddress,LocalPort,RemoteAddress,RemotePort,State,OwningProcess,CreationTime | ConvertTo-Json -Compress`.
 * ConvertTo-Json prints one object for one connection and an array for more; the State enum
 * as its number (Windows PowerShell 5.1 and PowerShell 7 alike) or, with -EnumsAsStrings or a
 * formatted pipeline, as its name; CreationTime as `/Date(ms)/` (5.1) or ISO 8601 (7).
 * Numbers of MSFT_NetTCPConnection.State follow MIB_TCP_STATE (1 Closed … 12 DeleteTCB) plus
 * 100 Bound: https://learn.microsoft.com/openspecs/windows_protocols/ms-rrasm/882bec9c-2fb6-4acd-a9b6-dabcab1ac0d6
 */
import { z } from 'zod';
import type { TcpState } from '../../../shared/model';
import { familyOf, isPort, type Win32Parse, type Win32Row } from './endpoint';

/**
 * MSFT_NetTCPConnection.State, by number and name, in the shared enum. Closed, DeleteTCB and
 * Bound (bound, not connected) have no peer and no timer: CLOSE.
 */
const STATES: ReadonlyArray<[number, string, TcpState]> = [
  [1, 'Closed', 'CLOSE'],
  [2, 'Listen', 'LISTEN'],
  [3, 'SynSent', 'SYN_SENT'],
  [4, 'SynReceived', 'SYN_RECV'],
  [5, 'Established', 'ESTABLISHED'],
  [6, 'FinWait1', 'FIN_WAIT1'],
  [7, 'FinWait2', 'FIN_WAIT2'],
  [8, 'CloseWait', 'CLOSE_WAIT'],
  [9, 'Closing', 'CLOSING'],
  [10, 'LastAck', 'LAST_ACK'],
  [11, 'TimeWait', 'TIME_WAIT'],
  [12, 'DeleteTCB', 'CLOSE'],
  [100, 'Bound', 'CLOSE'],
];
const BY_NUMBER = new Map(STATES.map(([n, , s]) => [n, s]));
const BY_NAME = new Map(STATES.map(([, name, s]) => [name.toLowerCase(), s]));

export function win32State(value: number | string): TcpState | null {
  return (typeof value === 'number' ? BY_NUMBER.get(value) : BY_NAME.get(value.trim().toLowerCase())) ?? null;
}

/** `/Date(1700000000000)/` (Windows PowerShell 5.1, optionally with an offset `+0100`) or an ISO 8601 string (PowerShell 7). */
export function parseCreationTime(value: string | null | undefined): number | null {
  if (typeof value !== 'string') return null;
  const legacy = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(value.trim());
  if (legacy) return Number(legacy[1]);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

const portSchema = z.number().int().refine(isPort);
const EntrySchema = z.object({
  LocalAddress: z.string().min(1).max(64),
  LocalPort: portSchema,
  RemoteAddress: z.string().min(1).max(64),
  RemotePort: portSchema,
  State: z.union([z.number().int(), z.string().max(32)]),
  OwningProcess: z.number().int().min(0).nullable().optional(),
  CreationTime: z.string().max(64).nullable().optional(),
});

/** One entry or null when it is not a connection this parser can read. */
function toRow(entry: unknown): Win32Row | null {
  const parsed = EntrySchema.safeParse(entry);
  if (!parsed.success) return null;
  const e = parsed.data;
  const state = win32State(e.State);
  if (!state) return null;
  return {
    family: familyOf(e.LocalAddress),
    state,
    localAddress: e.LocalAddress,
    localPort: e.LocalPort,
    remoteAddress: e.RemoteAddress,
    remotePort: e.RemotePort,
    pid: e.OwningProcess ?? null,
    createdAt: parseCreationTime(e.CreationTime),
  };
}

/**
 * The whole output. Empty output (no connections: ConvertTo-Json prints nothing) is no rows;
 * output that is not JSON (truncated) throws, so the caller can fall back to netstat.
 */
export function parseNetTcpConnectionJson(text: string): Win32Parse {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return { rows: [], malformed: 0 };
  const json: unknown = JSON.parse(trimmed);
  const entries = Array.isArray(json) ? json : [json];
  const rows: Win32Row[] = [];
  let malformed = 0;
  for (const entry of entries) {
    const row = toRow(entry);
    if (row) rows.push(row);
    else malformed++;
  }
  return { rows, malformed };
}
