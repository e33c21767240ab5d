// Imported first by main.ts. Zod probes `new Function` to decide whether to compile its
// parsers; under the CSP (no 'unsafe-eval') that probe is refused and reported as a violation.
// jitless skips the probe: the renderer parses only small inputs (the rules form, stored view).
import { z } from 'zod';

z.config({ jitless: true });
