/** The table's columns: header text, what a tooltip explains, alignment and width. */
import type { SortColumn } from './table-model';

export interface ColumnDef {
  id: SortColumn;
  label: string;
  /** Says what the column means (header tooltip). */
  title: string;
  numeric?: boolean;
  /** A CSS grid track. */
  width: string;
}

export const COLUMNS: readonly ColumnDef[] = [
  { id: 'state', label: 'State', title: 'TCP state', width: '104px' },
  { id: 'local', label: 'Local', title: 'Local address and port', width: 'minmax(130px, 1.1fr)' },
  { id: 'remote', label: 'Remote', title: 'Peer address and port', width: 'minmax(130px, 1.1fr)' },
  { id: 'process', label: 'Process', title: 'Process id and command', width: 'minmax(120px, 1fr)' },
  { id: 'user', label: 'User', title: 'Owner of the socket', width: 'minmax(64px, 0.5fr)' },
  { id: 'idle', label: 'Idle', title: 'Time since the last packet from the peer', numeric: true, width: '68px' },
  { id: 'keepalive', label: 'KA', title: 'Keepalive (SO_KEEPALIVE) on or off', width: '40px' },
  { id: 'probes', label: 'Probes', title: 'Keepalive probes sent and not answered', numeric: true, width: '56px' },
  { id: 'nextProbe', label: 'Next probe', title: 'Countdown to the next keepalive probe', numeric: true, width: '82px' },
  { id: 'drop', label: 'Drop in', title: 'Countdown to the drop if the peer stays silent', numeric: true, width: '82px' },
  { id: 'dropBy', label: 'Dropped by', title: 'What drops it: kernel keepalive, retransmission, TCP_USER_TIMEOUT, or an idle-timeout rule', width: 'minmax(110px, 0.9fr)' },
];

/** The all-namespaces view's first column: which network namespace (host, container, pod) the connection lives in. */
export const NAMESPACE_COLUMN: ColumnDef = {
  id: 'namespace',
  label: 'Namespace',
  title: 'Network namespace: the host, a container, a pod, an ip netns one; ⚠ where its keepalive settings are not the host’s',
  width: 'minmax(170px, 1.2fr)',
};

const WITH_NAMESPACE: readonly ColumnDef[] = [NAMESPACE_COLUMN, ...COLUMNS];

/** The columns shown: with the namespace first when the table holds more than one namespace. */
export const columnsFor = (showNamespace: boolean): readonly ColumnDef[] => (showNamespace ? WITH_NAMESPACE : COLUMNS);

/** The CSS grid tracks of these columns. */
export const gridTemplate = (columns: readonly ColumnDef[]): string => columns.map((c) => c.width).join(' ');
