/** Who made a report: its JSON `generator` and the HTML's footer. */
import { version } from '../../package.json';

export const GENERATOR = { name: 'idlewatch', version } as const;
