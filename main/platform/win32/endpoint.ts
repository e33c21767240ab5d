/** What both socket sources (Get-NetTCPConnection, netstat -ano) parse a row into, before it becomes SocketFacts. */
import type { TcpState } from '../../../shared/model';

export interface Win32Row {
  family: 'ipv4' | 'ipv6';
  state: TcpState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  pid: number | null;
  /** Epoch ms of CreationTime (Get-NetTCPConnection only); null when not shown. */
  createdAt: number | null;
}

export interface Win32Parse {
  rows: Win32Row[];
  /** Entries or lines that could not be read. */
  malformed: number;
}

export const familyOf = (address: string): 'ipv4' | 'ipv6' => (address.includes(':') ? 'ipv6' : 'ipv4');

export const isPort = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
