/**
 * build/icons.mjs: every icon file rendered from build/icon.svg, read back here with parsers of
 * our own (PNG chunks, the ICO directory, the ICNS entries), so a file that merely exists passes
 * nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What build/icons.mjs exports (a plain .mjs: typed here, where it is used). */
interface IconsModule {
  writeIcons(outDir: string, options?: { force?: boolean }): Promise<string[]>;
  OUTPUT_FILES: string[];
}

const script = fileURLToPath(new URL('../../../build/icons.mjs', import.meta.url));
const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const isPng = (data: Buffer) => data.subarray(0, 8).equals(PNG_SIGNATURE);

/** A PNG's IHDR: its size, bit depth and colour type. */
function ihdr(data: Buffer) {
  expect(isPng(data), 'PNG signature').toBe(true);
  expect(data.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), bitDepth: data[24]!, colorType: data[25]! };
}

/** The pixels of an 8-bit RGBA, non-interlaced PNG (what resvg writes), row after row. */
function decodeRgba(data: Buffer): { width: number; height: number; rgba: Buffer } {
  const { width, height, bitDepth, colorType } = ihdr(data);
  expect({ bitDepth, colorType, interlace: data[28] }).toEqual({ bitDepth: 8, colorType: 6, interlace: 0 });
  const idat: Buffer[] = [];
  for (let pos = 8; pos < data.length; ) {
    const length = data.readUInt32BE(pos);
    if (data.toString('latin1', pos + 4, pos + 8) === 'IDAT') idat.push(data.subarray(pos + 8, pos + 8 + length));
    pos += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      const paeth = () => {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const predictor = [0, a, b, (a + b) >> 1, paeth()][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`);
      rgba[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return { width, height, rgba };
}

const alphaAt = (png: ReturnType<typeof decodeRgba>, x: number, y: number) => png.rgba[(y * png.width + x) * 4 + 3]!;

/** The ICO directory: each entry's stated size and the size of the image its data holds. */
function readIco(data: Buffer) {
  expect([data.readUInt16LE(0), data.readUInt16LE(2)], 'ICO header: reserved 0, type 1 (icon)').toEqual([0, 1]);
  const count = data.readUInt16LE(4);
  return Array.from({ length: count }, (_, i) => {
    const entry = 6 + 16 * i;
    const stated = data[entry] === 0 ? 256 : data[entry]!;
    const statedHeight = data[entry + 1] === 0 ? 256 : data[entry + 1]!;
    const bytes = data.readUInt32LE(entry + 8);
    const offset = data.readUInt32LE(entry + 12);
    expect(offset + bytes, `ICO entry ${i} lies inside the file`).toBeLessThanOrEqual(data.length);
    const image = data.subarray(offset, offset + bytes);
    let actual: { width: number; height: number; format: string };
    if (isPng(image)) {
      actual = { ...ihdr(image), format: 'png' };
    } else {
      // A BMP without its file header: BITMAPINFOHEADER, height doubled for the AND mask.
      expect(image.readUInt32LE(0), `ICO entry ${i}: BITMAPINFOHEADER`).toBe(40);
      actual = { width: image.readInt32LE(4), height: image.readInt32LE(8) / 2, format: 'bmp' };
      const bitCount = image.readUInt16LE(14);
      const maskRow = Math.ceil(actual.width / 32) * 4;
      expect(bytes, `ICO entry ${i}: header, ${bitCount}-bit pixels and the AND mask`).toBe(40 + (actual.width * actual.height * bitCount) / 8 + maskRow * actual.height);
    }
    return { stated, statedHeight, width: actual.width, height: actual.height, format: actual.format };
  });
}

/** The unpacked length of ICNS packbits data (is32/il32 channels). */
function unpackbitsLength(data: Buffer): number {
  let length = 0;
  for (let pos = 0; pos < data.length; ) {
    const n = data[pos]!;
    if (n < 0x80) {
      length += n + 1;
      pos += n + 2;
    } else {
      length += n - 0x80 + 3;
      pos += 2;
    }
  }
  return length;
}

/** The ICNS entries, each with the pixel size its data holds. */
function readIcns(data: Buffer) {
  const entries: { type: string; size: number; format: string }[] = [];
  for (let pos = 8; pos < data.length; ) {
    const type = data.toString('latin1', pos, pos + 4);
    const length = data.readUInt32BE(pos + 4);
    expect(length, `ICNS entry ${type} has a length`).toBeGreaterThan(8);
    const body = data.subarray(pos + 8, pos + length);
    if (isPng(body)) {
      const { width, height } = ihdr(body);
      expect(height, `${type} is square`).toBe(width);
      entries.push({ type, size: width, format: 'png' });
    } else if (type === 'is32' || type === 'il32') {
      const size = type === 'is32' ? 16 : 32;
      expect(unpackbitsLength(body), `${type}: three packed ${size}x${size} channels`).toBe(3 * size * size);
      entries.push({ type, size, format: 'rgb' });
    } else if (type === 's8mk' || type === 'l8mk') {
      const size = type === 's8mk' ? 16 : 32;
      expect(body.length, `${type}: one byte of alpha a pixel`).toBe(size * size);
      entries.push({ type, size, format: 'mask' });
    } else if (type === 'ic04' || type === 'ic05') {
      const size = type === 'ic04' ? 16 : 32;
      expect(body.toString('latin1', 0, 4)).toBe('ARGB');
      expect(unpackbitsLength(body.subarray(4))).toBe(4 * size * size);
      entries.push({ type, size, format: 'argb' });
    } else {
      throw new Error(`unexpected ICNS entry ${type}`);
    }
    pos += length;
    expect(pos, `ICNS entry ${type} lies inside the file`).toBeLessThanOrEqual(data.length);
  }
  return entries;
}

let dir: string;
let icons: IconsModule;
let firstRun: string[];

beforeAll(async () => {
  icons = (await import(new URL('../../../build/icons.mjs', import.meta.url).href)) as IconsModule;
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-icons-'));
  firstRun = await icons.writeIcons(dir);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string) => readFileSync(join(dir, name));

describe('build/icons.mjs', () => {
  it('writes the PNG set, icon.png, icon.ico and icon.icns', () => {
    const expected = [...PNG_SIZES.map((n) => `${n}x${n}.png`), 'icon.png', 'icon.ico', 'icon.icns'];
    expect(icons.OUTPUT_FILES).toEqual(expected);
    expect(firstRun).toEqual(expected.map((name) => join(dir, name)));
  });

  it.each(PNG_SIZES)('%ix%i.png is that size', (size) => {
    expect(ihdr(file(`${size}x${size}.png`))).toMatchObject({ width: size, height: size });
  });

  it('icon.png is the 1024 px rendering', () => {
    expect(ihdr(file('icon.png'))).toMatchObject({ width: 1024, height: 1024 });
    expect(file('icon.png').equals(file('1024x1024.png'))).toBe(true);
  });

  it.each([16, 256])('at %i px the centre is opaque and the corners transparent (the tile is inset)', (size) => {
    const png = decodeRgba(file(`${size}x${size}.png`));
    const centre = Math.floor(size / 2);
    expect(alphaAt(png, centre, centre)).toBe(255);
    for (const [x, y] of [[0, 0], [size - 1, 0], [0, size - 1], [size - 1, size - 1]] as const) expect(alphaAt(png, x, y)).toBe(0);
  });

  it('icon.ico lists exactly 16, 24, 32, 48, 64, 128 and 256 px, each entry an image of its stated size', () => {
    const entries = readIco(file('icon.ico'));
    expect(entries.map((e) => e.stated)).toEqual(ICO_SIZES);
    for (const entry of entries) expect([entry.statedHeight, entry.width, entry.height]).toEqual([entry.stated, entry.stated, entry.stated]);
  });

  it("icon.icns has the 'icns' magic, its length is the file's, and it holds 16 to 1024 px", () => {
    const data = file('icon.icns');
    expect(data.toString('latin1', 0, 4)).toBe('icns');
    expect(data.readUInt32BE(4)).toBe(data.length);
    const entries = readIcns(data);
    const sizes = new Set(entries.filter((e) => e.format !== 'mask').map((e) => e.size));
    for (const size of [16, 32, 128, 256, 512, 1024]) expect(sizes, `an entry of ${size} px`).toContain(size);
    // The PNG entries Apple defines, each at its size (ic11…ic14 are the @2x of 16…256).
    const pngSizes = { ic07: 128, ic08: 256, ic09: 512, ic10: 1024, ic11: 32, ic12: 64, ic13: 256, ic14: 512, icp4: 16, icp5: 32, icp6: 64 } as Record<string, number>;
    for (const entry of entries.filter((e) => e.format === 'png')) expect(entry.size, entry.type).toBe(pngSizes[entry.type]);
    // A packed bitmap comes with its mask.
    if (entries.some((e) => e.type === 'is32')) expect(entries.map((e) => e.type)).toContain('s8mk');
    if (entries.some((e) => e.type === 'il32')) expect(entries.map((e) => e.type)).toContain('l8mk');
  });

  it('a second run rewrites nothing while the files are newer than the SVG and the script', async () => {
    const before = icons.OUTPUT_FILES.map((name) => statSync(join(dir, name)).mtimeMs);
    expect(await icons.writeIcons(dir)).toEqual([]);
    execFileSync(process.execPath, [script, dir]);
    expect(icons.OUTPUT_FILES.map((name) => statSync(join(dir, name)).mtimeMs)).toEqual(before);
  });

  it('--force rewrites everything', async () => {
    const other = mkdtempSync(join(tmpdir(), 'idlewatch-icons-'));
    try {
      execFileSync(process.execPath, [script, other]);
      const before = statSync(join(other, 'icon.ico')).mtimeMs;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const output = execFileSync(process.execPath, [script, other, '--force'], { encoding: 'utf8' });
      expect(output).toMatch(/wrote 12 icon files/);
      expect(statSync(join(other, 'icon.ico')).mtimeMs).toBeGreaterThan(before);
      expect(readIco(readFileSync(join(other, 'icon.ico'))).map((e) => e.stated)).toEqual(ICO_SIZES);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 60_000);
});
