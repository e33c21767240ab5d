import { describe, expect, it } from 'vitest';
import { positionOf, timelineModel } from '../../../../renderer/src/connections/timeline-model';
import { known, NOW } from '../../../fixtures/connection';

describe('timelineModel', () => {
  it('places the last packet, each probe the core projected, and the drop with its window', () => {
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

  it('names retransmissions and zero-window probes for what they are, counted from those already made', () => {
    const retransmitting = timelineModel(
      known({ timer: 'retransmit', retransmits: 2, probesSent: 0, dropReason: 'retransmit', probesAt: [NOW + 800, NOW + 2400], nextProbeAt: NOW + 800, dropAt: NOW + 5600 }),
      NOW,
    );
    expect(retransmitting.marks.filter((m) => m.kind !== 'activity').map((m) => m.label)).toEqual([
      'Retransmission 3 of 4',
      'Retransmission 4 of 4',
      'Retransmission ends',
    ]);
    const probing = timelineModel(
      known({ timer: 'probe', probesSent: 1, dropReason: 'zero-window', probesAt: [NOW + 800], nextProbeAt: NOW + 800, dropAt: NOW + 2400 }),
      NOW,
    );
    expect(probing.marks.filter((m) => m.kind !== 'activity').map((m) => m.label)).toEqual(['Zero-window probe 2 of 2', 'Zero-window probing ends']);
  });

  it('keeps every mark, the window and now inside the axis', () => {
    const model = timelineModel(known(), NOW);
    expect(model.start).toBeLessThan(NOW - 252_000);
    expect(model.end).toBeGreaterThan(NOW + 657_000);
    expect(positionOf(model, NOW - 252_000)).toBeGreaterThan(0);
    expect(positionOf(model, NOW + 657_000)).toBeLessThan(1);
  });

  it('shows probes already sent before the next one, and only the probes left', () => {
    const model = timelineModel(
      known({ probesSent: 3, nextProbeAt: NOW + 10_000, probesAt: [NOW + 10_000, NOW + 70_000], dropAt: NOW + 130_000 }),
      NOW,
    );
    expect(model.marks.filter((m) => m.kind === 'sent').map((m) => [m.at - NOW, m.label])).toEqual([
      [-170_000, 'Probe 1 of 5, unanswered'],
      [-110_000, 'Probe 2 of 5, unanswered'],
      [-50_000, 'Probe 3 of 5, unanswered'],
    ]);
    expect(model.marks.filter((m) => m.kind === 'probe').map((m) => m.label)).toEqual(['Probe 4 of 5', 'Probe 5 of 5']);
  });

  it('draws no probe after a middlebox drop, and names the rule at the drop', () => {
    const k = known({ dropReason: 'middlebox', dropBy: 'AWS NLB', dropAt: NOW + 98_000, dropWindow: [NOW + 98_000, NOW + 98_000], nextProbeAt: null, probesAt: [], atRisk: true });
    const model = timelineModel(k, NOW);
    expect(model.marks.filter((m) => m.kind === 'probe')).toEqual([]);
    expect(model.marks.at(-1)).toMatchObject({ kind: 'drop', label: 'Forgotten by AWS NLB' });
    expect(model.band).toBeNull();
  });

  it('draws the probes where the core put them, not one interval apart', () => {
    // a projector may space probes unevenly (rounding per firing, another OS's algorithm)
    const model = timelineModel(known({ probesAt: [NOW + 348_000, NOW + 408_250, NOW + 468_990], dropAt: NOW + 529_000 }), NOW);
    expect(model.marks.filter((m) => m.kind === 'probe').map((m) => [m.at - NOW, m.label])).toEqual([
      [348_000, 'Probe 1 of 3'],
      [408_250, 'Probe 2 of 3'],
      [468_990, 'Probe 3 of 3'],
    ]);
  });

  it('names a rule with a bidi override escaped at the drop', () => {
    const k = known({ dropReason: 'application', dropBy: '\u202eevil', dropAt: NOW + 98_000, probesAt: [], nextProbeAt: null });
    expect(timelineModel(k, NOW).marks.at(-1)!.label).toBe('Closed by \\u202eevil');
  });

  it('is at least ten seconds wide, with now on it, when nothing is planned', () => {
    const model = timelineModel(known({ idleMs: 1000, nextProbeAt: null, probesAt: [], dropAt: null, dropWindow: null, dropReason: null }), NOW);
    expect(model.end - model.start).toBeGreaterThanOrEqual(10_000);
    expect(positionOf(model, NOW)).toBeGreaterThan(0);
    expect(positionOf(model, NOW)).toBeLessThan(1);
  });
});
