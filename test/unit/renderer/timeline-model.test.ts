import { describe, expect, it } from 'vitest';
import { positionOf, projectedProbes, timelineModel } from '../../../renderer/src/lib/timeline-model';
import { known, NOW } from '../../fixtures/connection';

describe('timelineModel', () => {
  it('places the last packet, each probe one interval apart, and the drop with its window', () => {
    const model = timelineModel(known(), NOW);
    expect(model.marks.map((m) => [m.kind, m.at - NOW, m.label])).toEqual([
      ['activity', -252_000, 'Peer last heard'],
      ['probe', 348_000, 'Probe 1 of 5'],
      ['probe', 408_000, 'Probe 2 of 5'],
      ['probe', 468_000, 'Probe 3 of 5'],
      ['probe', 528_000, 'Probe 4 of 5'],
      ['probe', 588_000, 'Probe 5 of 5'],
      ['drop', 648_000, 'Reset by keepalive'],
    ]);
    expect(model.band).toEqual([NOW + 639_000, NOW + 657_000]);
  });

  it('keeps every mark, the window and now inside the axis', () => {
    const model = timelineModel(known(), NOW);
    expect(model.start).toBeLessThan(NOW - 252_000);
    expect(model.end).toBeGreaterThan(NOW + 657_000);
    expect(positionOf(model, NOW - 252_000)).toBeGreaterThan(0);
    expect(positionOf(model, NOW + 657_000)).toBeLessThan(1);
  });

  it('shows probes already sent before the next one, and only the probes left', () => {
    const model = timelineModel(known({ probesSent: 3, nextProbeAt: NOW + 10_000, dropAt: NOW + 130_000 }), NOW);
    expect(model.marks.filter((m) => m.kind === 'sent').map((m) => [m.at - NOW, m.label])).toEqual([
      [-170_000, 'Probe 1 of 5, unanswered'],
      [-110_000, 'Probe 2 of 5, unanswered'],
      [-50_000, 'Probe 3 of 5, unanswered'],
    ]);
    expect(model.marks.filter((m) => m.kind === 'probe').map((m) => m.label)).toEqual(['Probe 4 of 5', 'Probe 5 of 5']);
  });

  it('draws no probe after a middlebox drop, and names the rule at the drop', () => {
    const k = known({ dropReason: 'middlebox', dropBy: 'AWS NLB', dropAt: NOW + 98_000, dropWindow: [NOW + 98_000, NOW + 98_000], nextProbeAt: null, atRisk: true });
    const model = timelineModel(k, NOW);
    expect(projectedProbes(k)).toEqual([]);
    expect(model.marks.at(-1)).toMatchObject({ kind: 'drop', label: 'Forgotten by AWS NLB' });
    expect(model.band).toBeNull();
  });

  it('is at least ten seconds wide, with now on it, when nothing is planned', () => {
    const model = timelineModel(known({ idleMs: 1000, nextProbeAt: null, dropAt: null, dropWindow: null, dropReason: null }), NOW);
    expect(model.end - model.start).toBeGreaterThanOrEqual(10_000);
    expect(positionOf(model, NOW)).toBeGreaterThan(0);
    expect(positionOf(model, NOW)).toBeLessThan(1);
  });
});
