import { description, homepage, license, version } from '../package.json';

/**
 * What Idlewatch says about itself (Help › About, `idlewatch --version`), read from package.json
 * at build time. Pure and light: the CLI imports it before deciding what else to load.
 */
export interface About {
  productName: string;
  version: string;
  /** The SPDX expression of package.json; "UNLICENSED" means not licensed to anyone. */
  license: string;
  homepage: string;
  description: string;
}

export const ABOUT: About = { productName: 'Idlewatch', version, license, homepage, description };

/** The license as a reader should see it: npm's "UNLICENSED" spelled out, an SPDX id as it is. */
export function licenseText(license: string): string {
  return license === 'UNLICENSED' ? 'Proprietary — all rights reserved (UNLICENSED)' : license;
}

/** "Idlewatch 0.1.0": what `idlewatch --version` prints and the About box's title line. */
export function nameAndVersion(about: About): string {
  return `${about.productName} ${about.version}`;
}

/** The lines of the About box, in order: name and version, what it does, license, home page. */
export function aboutLines(about: About): string[] {
  return [nameAndVersion(about), about.description, `License: ${licenseText(about.license)}`, `Home: ${about.homepage}`];
}
