#!/usr/bin/env node
// Renders Idlewatch's icon files from the one source, build/icon.svg, to out/icons/ (or OUTDIR):
//   NxN.png for N in 16 … 1024  the Linux icon set (electron-builder reads a folder of NxN.png)
//   icon.png                     1024 px
//   icon.ico                     Windows: 16, 24, 32, 48, 64, 128 and 256 px
//   icon.icns                    macOS: 16 … 1024 px, @1x and @2x
// Every size is rendered from the SVG at that size (resvg, fitTo width), never scaled down from
// one bitmap, so the small ones stay sharp. Runs before builds (`npm run build`); the files are
// rewritten only when the SVG or this script is newer than one of them, or with --force.
//   node build/icons.mjs [OUTDIR] [--force]
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Icns, IcnsImage } from '@fiahfy/icns';
import { Ico, IcoImage } from '@fiahfy/ico';
import { Resvg } from '@resvg/resvg-js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(root, 'build/icon.svg');
const SCRIPT = fileURLToPath(import.meta.url);

/** The PNG sizes written as NxN.png. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
/** The sizes in icon.ico (256 is the largest an ICO holds). */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/**
 * The entries of icon.icns, as Apple's iconutil writes them: 16 and 32 px as packed RGB with an
 * 8-bit mask (every macOS reads those), everything else as embedded PNG, @1x and @2x.
 */
export const ICNS_ENTRIES = [
  { osType: 'is32', size: 16 },
  { osType: 's8mk', size: 16 },
  { osType: 'il32', size: 32 },
  { osType: 'l8mk', size: 32 },
  { osType: 'ic11', size: 32 }, // 16@2x
  { osType: 'ic12', size: 64 }, // 32@2x
  { osType: 'ic07', size: 128 },
  { osType: 'ic13', size: 256 }, // 128@2x
  { osType: 'ic08', size: 256 },
  { osType: 'ic14', size: 512 }, // 256@2x
  { osType: 'ic09', size: 512 },
  { osType: 'ic10', size: 1024 }, // 512@2x
];

/** Every file writeIcons writes, relative to its folder. */
export const OUTPUT_FILES = [...PNG_SIZES.map((size) => `${size}x${size}.png`), 'icon.png', 'icon.ico', 'icon.icns'];

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

/** The SVG rendered at size × size px, as a PNG. */
export function renderPng(svg, size) {
  const resvg = new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } });
  const image = resvg.render();
  if (image.width !== size || image.height !== size) throw new Error(`build/icon.svg rendered at ${image.width}x${image.height}, not ${size}x${size}: is its viewBox square?`);
  return image.asPng();
}

/**
 * Writes every icon file to outDir, unless each is already newer than build/icon.svg and this
 * script (or force). Returns the paths written: none when everything was up to date.
 */
export async function writeIcons(outDir, { force = false } = {}) {
  const dir = resolve(outDir);
  const outputs = OUTPUT_FILES.map((name) => join(dir, name));
  const newestSource = Math.max(mtime(SOURCE), mtime(SCRIPT));
  if (!force && outputs.every((path) => mtime(path) > newestSource)) return [];

  const svg = readFileSync(SOURCE);
  const pngs = new Map(PNG_SIZES.map((size) => [size, renderPng(svg, size)]));
  const png = (size) => pngs.get(size) ?? renderPng(svg, size);

  const ico = new Ico();
  for (const size of ICO_SIZES) ico.append(IcoImage.fromPNG(png(size)));
  const icns = new Icns();
  for (const { osType, size } of ICNS_ENTRIES) icns.append(IcnsImage.fromPNG(png(size), osType));

  mkdirSync(dir, { recursive: true });
  const files = [
    ...PNG_SIZES.map((size) => [`${size}x${size}.png`, png(size)]),
    ['icon.png', png(1024)],
    ['icon.ico', ico.data],
    ['icon.icns', icns.data],
  ];
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
  return files.map(([name]) => join(dir, name));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const outDir = args.find((arg) => !arg.startsWith('--')) ?? join(root, 'out/icons');
  try {
    const written = await writeIcons(outDir, { force });
    if (written.length > 0) console.log(`idlewatch: wrote ${written.length} icon files to ${resolve(outDir)}`);
  } catch (error) {
    console.error(`idlewatch: could not render the icons from build/icon.svg (${error.message}).`);
    process.exit(1);
  }
}
