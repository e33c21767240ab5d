/** The what-if table's columns: header text, what a tooltip explains, alignment and width. */
import type { WhatIfColumn } from './what-if-model';

export interface WhatIfColumnDef {
  id: WhatIfColumn;
  label: string;
  title: string;
  numeric?: boolean;
  width: string;
}

export const WHAT_IF_COLUMN_DEFS: readonly WhatIfColumnDef[] = [
  { id: 'connection', label: 'Connection', title: 'Local → peer address and port, and the process (sorted by the local address)', width: 'minmax(240px, 1.6fr)' },
  { id: 'probeNow', label: 'Probe now', title: 'Next keepalive probe with the settings in force now', numeric: true, width: '86px' },
  { id: 'probeAfter', label: 'Probe after', title: 'Next keepalive probe with this profile', numeric: true, width: '90px' },
  { id: 'dropNow', label: 'Drop now', title: 'Drop if the peer stays silent, with the settings in force now', numeric: true, width: '86px' },
  { id: 'dropAfter', label: 'Drop after', title: 'Drop if the peer stays silent, with this profile (the tooltip says by what)', numeric: true, width: '90px' },
  { id: 'effect', label: 'Effect', title: 'Against the idle-timeout rules: saved (at risk today, safe after) or newly at risk', width: '100px' },
  { id: 'note', label: 'Note', title: 'Why a connection does not follow the new values at once', width: 'minmax(220px, 1.5fr)' },
];

export const WHAT_IF_GRID = WHAT_IF_COLUMN_DEFS.map((c) => c.width).join(' ');
