/**
 * How near a projected drop is, as the table, the what-if table and the detail pane colour it
 * (app.css `.soon`, `.overdue`): within the next minute, or already past while still listed.
 */
export const SOON_MS = 60_000;

export const dropSoon = (at: number | null, now: number): boolean => at !== null && at - now > 0 && at - now <= SOON_MS;
export const dropOverdue = (at: number | null, now: number): boolean => at !== null && at - now <= 0;
