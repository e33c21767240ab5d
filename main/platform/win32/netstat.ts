/**
 * Pure parse of `netstat -ano -p TCP` and `netstat -ano -p TCPv6` on Windows: the fallback when
 * PowerShell's Get-NetTCPConnection cannot run. Rows are found by their shape (`TCP <local>
 * <remote> <state> <pid>`), never by the localized header; IPv6 endpoints are bracketed
 * (`[::1]:443`, `[fe80::1%12]:49680`). State names are localized by the Windows display
 * language and printed in the console's OEM code page, so a name is looked up both with its
 * accents stripped and with every non-ASCII character dropped (cp850 `Ö` read as `™`, or `�`).
 * Sources of the names: test/fixtures/win32/README.md.
 */
import type { TcpState } from '../../../shared/model';
import { familyOf, isPort, type Win32Parse, type Win32Row } from './endpoint';

/** Names per state: English, German, French, Spanish (see the fixtures' README for which are verified). */
const NAMES: Record<TcpState, string[]> = {
  LISTEN: ['LISTENING', 'LISTEN', 'ABHÖREN', 'ÉCOUTE', 'ESCUCHANDO'],
  ESTABLISHED: ['ESTABLISHED', 'HERGESTELLT', 'ÉTABLIE', 'ESTABLECIDO'],
  SYN_SENT: ['SYN_SENT', 'SYN_SEND', 'SYN_GESENDET', 'SYN_ENVOYÉ', 'SYN_ENVIADO'],
  SYN_RECV: ['SYN_RECEIVED', 'SYN_RECV', 'SYN_EMPFANGEN', 'SYN_REÇU', 'SYN_RECIBIDO'],
  FIN_WAIT1: ['FIN_WAIT_1', 'FIN_WAIT1', 'FIN_WARTEN_1', 'FIN_ATTENTE_1', 'FIN_ESPERA_1'],
  FIN_WAIT2: ['FIN_WAIT_2', 'FIN_WAIT2', 'FIN_WARTEN_2', 'FIN_ATTENTE_2', 'FIN_ESPERA_2'],
  TIME_WAIT: ['TIME_WAIT', 'WARTEND', 'ATTENTE_TEMPS', 'TIEMPO_ESPERA'],
  CLOSE_WAIT: ['CLOSE_WAIT', 'SCHLIESSEN_WARTEN', 'ATTENTE_FERMETURE', 'CERRAR_ESPERA'],
  CLOSING: ['CLOSING', 'SCHLIESSEND', 'FERMETURE', 'CERRANDO'],
  LAST_ACK: ['LAST_ACK', 'LETZTES_ACK', 'DERNIER_ACK', 'ÚLTIMO_ACK'],
  CLOSE: ['CLOSED', 'DELETE_TCB', 'BOUND', 'GESCHLOSSEN', 'FERMÉ', 'CERRADO'],
};

const asciiFolded = (name: string) =>
  name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '');
const asciiOnly = (name: string) => name.toUpperCase().replace(/[^A-Z0-9_]/g, '');

const LOOKUP = new Map<string, TcpState>();
for (const [state, names] of Object.entries(NAMES) as [TcpState, string[]][]) {
  for (const name of names) {
    LOOKUP.set(asciiFolded(name), state);
    LOOKUP.set(asciiOnly(name), state);
  }
}

/** A localized netstat state name in the shared enum; null when unknown. */
export function netstatState(name: string): TcpState | null {
  return LOOKUP.get(asciiFolded(name)) ?? LOOKUP.get(asciiOnly(name)) ?? null;
}

/** `1.2.3.4:80`, `[::1]:443`, `[fe80::1%12]:49680` → address and port. */
export function parseEndpoint(text: string): { address: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+(?:%[0-9A-Za-z]+)?)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (!isPort(port)) return null;
  return { address: (m[1] ?? m[2])!, port };
}

/** Every TCP row of one or more netstat outputs (IPv4 and IPv6 concatenated is fine); other lines (headers, blank) are skipped. */
export function parseNetstatAno(text: string): Win32Parse {
  const rows: Win32Row[] = [];
  let malformed = 0;
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0]?.toUpperCase() !== 'TCP') continue;
    const row = fields.length === 5 ? toRow(fields) : null;
    if (row) rows.push(row);
    else malformed++;
  }
  return { rows, malformed };
}

function toRow([, local, remote, stateName, pidText]: string[]): Win32Row | null {
  const l = parseEndpoint(local!);
  const r = parseEndpoint(remote!);
  const state = netstatState(stateName!);
  if (!l || !r || !state || !/^\d{1,10}$/.test(pidText!)) return null;
  return {
    family: familyOf(l.address),
    state,
    localAddress: l.address,
    localPort: l.port,
    remoteAddress: r.address,
    remotePort: r.port,
    pid: Number(pidText),
    createdAt: null,
  };
}
