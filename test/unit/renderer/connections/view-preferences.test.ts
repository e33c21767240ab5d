// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_VIEW,
  loadViewPreferences,
  parseViewPreferences,
  saveViewPreferences,
  VIEW_STORAGE_KEY,
  type ViewPreferences,
} from '../../../../renderer/src/connections/view-preferences';

const CUSTOM: ViewPreferences = {
  sort: { column: 'drop', direction: 'asc' },
  filter: { text: 'nginx', state: 'ESTABLISHED', minIdleSec: 300, keepalive: 'off', atRiskOnly: true },
};

describe('view preferences in localStorage', () => {
  beforeEach(() => localStorage.clear());

  it('come back as they were saved', () => {
    saveViewPreferences(localStorage, CUSTOM);
    expect(loadViewPreferences(localStorage)).toEqual(CUSTOM);
  });

  it('are the defaults when nothing was saved or the text is not JSON', () => {
    expect(loadViewPreferences(localStorage)).toEqual(DEFAULT_VIEW);
    localStorage.setItem(VIEW_STORAGE_KEY, '{"sort": {"column": "dr');
    expect(loadViewPreferences(localStorage)).toEqual(DEFAULT_VIEW);
    expect(parseViewPreferences('null')).toEqual(DEFAULT_VIEW);
  });

  it('drop a corrupt field and keep the valid ones', () => {
    const stored = {
      sort: { column: 'drop', direction: 'sideways' },
      filter: { ...CUSTOM.filter, state: 'ON_FIRE', minIdleSec: -5 },
    };
    const loaded = parseViewPreferences(JSON.stringify(stored));
    expect(loaded.sort).toEqual(DEFAULT_VIEW.sort);
    expect(loaded.filter).toEqual({ ...CUSTOM.filter, state: null, minIdleSec: null });
  });

  it('ignore a column that does not exist and values of the wrong type', () => {
    const loaded = parseViewPreferences(
      JSON.stringify({ sort: { column: '__proto__', direction: 'asc' }, filter: { text: 42, keepalive: 'maybe', atRiskOnly: 'yes' } }),
    );
    expect(loaded).toEqual(DEFAULT_VIEW);
  });

  it('do not share objects with the defaults, so editing one view never edits them', () => {
    const loaded = loadViewPreferences(localStorage);
    loaded.filter.text = 'changed';
    expect(DEFAULT_VIEW.filter.text).toBe('');
  });

  it('fall back to the defaults when storage refuses access', () => {
    const refusing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(loadViewPreferences(refusing)).toEqual(DEFAULT_VIEW);
    expect(() => saveViewPreferences(refusing, CUSTOM)).not.toThrow();
  });
});
