import { describe, expect, it } from 'vitest';
import pkg from '../../../package.json';
import { ABOUT, aboutLines, licenseText, nameAndVersion } from '../../../shared/about';

describe('ABOUT', () => {
  it('is read from package.json', () => {
    expect(ABOUT).toEqual({ productName: 'Idlewatch', version: pkg.version, license: pkg.license, homepage: pkg.homepage, description: pkg.description });
  });

  it('has a home page the desktop app may open (https with a host)', () => {
    expect(new URL(ABOUT.homepage)).toMatchObject({ protocol: 'https:' });
    expect(new URL(ABOUT.homepage).hostname).not.toBe('');
  });
});

describe('aboutLines', () => {
  it('gives name and version, description, license and home, in that order', () => {
    expect(aboutLines(ABOUT)).toEqual([
      `Idlewatch ${pkg.version}`,
      pkg.description,
      'License: Proprietary — all rights reserved (UNLICENSED)',
      `Home: ${pkg.homepage}`,
    ]);
  });

  it('spells out UNLICENSED and shows any other license as its SPDX id', () => {
    expect(licenseText('UNLICENSED')).toBe('Proprietary — all rights reserved (UNLICENSED)');
    expect(licenseText('MIT')).toBe('MIT');
    expect(aboutLines({ ...ABOUT, version: '2.0.0', license: 'Apache-2.0', homepage: 'https://example.org/x' })).toEqual([
      'Idlewatch 2.0.0',
      ABOUT.description,
      'License: Apache-2.0',
      'Home: https://example.org/x',
    ]);
  });

  it('starts with what `idlewatch --version` prints', () => {
    expect(nameAndVersion(ABOUT)).toBe(`Idlewatch ${pkg.version}`);
    expect(aboutLines(ABOUT)[0]).toBe(nameAndVersion(ABOUT));
  });
});
