import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules of DESIGN.md / STYLE.md points 4, 7 and 16, checked on every source file.
 * Module references are read with the TypeScript parser, so every form counts: `import … from`,
 * `import 'x'`, `import type`, `import x = require('x')`, `import('x')`, `require('x')`,
 * `export … from 'x'` and `typeof import('x')`, while comments and strings do not.
 */
const root = new URL('../..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = posix.join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|mts|cts|js|mjs|cjs|svelte)$/.test(name) ? [path] : [];
  });
}

const all = ['shared', 'main', 'renderer'].flatMap(sources);
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** What the TypeScript parser should see: a .svelte file's <script> blocks, anything else whole. */
function scriptOf(path: string, text: string): string {
  if (!path.endsWith('.svelte')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

export interface ModuleReference {
  specifier: string;
  /** How it was referenced, for the failure message. */
  form: string;
}

/** Every module a source text refers to; a specifier computed at run time is reported as `<computed>`. */
export function moduleReferences(path: string, text: string): ModuleReference[] {
  const file = ts.createSourceFile(path.replace(/\.svelte$/, '.ts'), scriptOf(path, text), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: ModuleReference[] = [];
  const literal = (node: ts.Node | undefined) => (node && ts.isStringLiteralLike(node) ? node.text : '<computed>');
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      found.push({ specifier: literal(node.moduleSpecifier), form: node.importClause ? 'import … from' : "import 'x'" });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      found.push({ specifier: literal(node.moduleSpecifier), form: 'export … from' });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      found.push({ specifier: literal(node.moduleReference.expression), form: 'import = require()' });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      found.push({ specifier: literal(node.argument.literal), form: "import('x') type" });
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) found.push({ specifier: literal(node.arguments[0]), form: 'import()' });
      else if (ts.isIdentifier(callee) && callee.text === 'require') found.push({ specifier: literal(node.arguments[0]), form: 'require()' });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));
/** Packages that only work in Node (or Electron's main process) and must not reach shared/ or renderer/. */
const NODE_ONLY_PACKAGES = ['electron', 'ws', 'systeminformation', 'tsx', 'playwright-core'];

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const isRelative = (specifier: string) => specifier.startsWith('.') || specifier.startsWith('/');
const isNodeOnly = (specifier: string) =>
  specifier.startsWith('node:') ||
  (!isRelative(specifier) && (NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(packageName(specifier)) || NODE_ONLY_PACKAGES.includes(packageName(specifier))));
const isElectron = (specifier: string) => packageName(specifier) === 'electron';
/** The repository folder a relative specifier lands in (`main/core/x` → `main`), or null. */
const layerOf = (from: string, specifier: string) =>
  isRelative(specifier) ? posix.normalize(posix.join(dirname(from), specifier)).split('/')[0]! : null;

/** Each rule broken by one file: the rule and the reference that breaks it. */
export function violations(path: string, text: string): string[] {
  const layer = path.split('/')[0];
  const out: string[] = [];
  for (const { specifier, form } of moduleReferences(path, text)) {
    const where = `${path}: ${form} '${specifier}'`;
    if (specifier === '<computed>') out.push(`${where}: a module must be named by a literal, never chosen at run time`);
    if ((layer === 'shared' || layer === 'renderer') && isNodeOnly(specifier)) out.push(`${where}: ${layer}/ must not use Node-only modules`);
    if (isElectron(specifier) && !path.startsWith('main/electron/')) out.push(`${where}: only main/electron/ imports electron`);
    const target = layerOf(path, specifier);
    if (layer === 'renderer' && target === 'main') out.push(`${where}: renderer/ must not import main/`);
    if (layer === 'shared' && (target === 'main' || target === 'renderer')) out.push(`${where}: shared/ must not import ${target}/`);
  }
  if (!path.startsWith('main/platform/') && /process\s*(\.\s*platform|\[\s*['"]platform['"]\s*\])/.test(text)) {
    out.push(`${path}: only main/platform/ reads process.platform`);
  }
  return out;
}

describe('layer boundaries', () => {
  it('finds the sources it checks', () => {
    expect(all.filter((f) => f.startsWith('shared/')).length).toBeGreaterThan(3);
    expect(all.filter((f) => f.startsWith('main/')).length).toBeGreaterThan(5);
    expect(all.filter((f) => f.startsWith('renderer/') && f.endsWith('.svelte')).length).toBeGreaterThan(0);
  });

  it('every file in shared/, main/ and renderer/ keeps to its layer', () => {
    expect(all.flatMap((f) => violations(f, read(f)))).toEqual([]);
  });
});

describe('the boundary checks see each form of violation', () => {
  it.each([
    ['shared/a.ts', "import { readFile } from 'node:fs/promises';", 'Node-only'],
    ['shared/a.ts', "import 'node:fs';", 'Node-only'],
    ['shared/a.ts', "import fs from 'fs';", 'Node-only'],
    ['shared/a.ts', "export { join } from 'path';", 'Node-only'],
    ['shared/a.ts', "export * from 'node:os';", 'Node-only'],
    ['shared/a.ts', "const { spawn } = require('child_process');", 'Node-only'],
    ['shared/a.ts', "const m = await import('fs/promises');", 'Node-only'],
    ['shared/a.ts', "import type { Stats } from 'node:fs';", 'Node-only'],
    ['shared/a.ts', "type S = typeof import('node:fs');", 'Node-only'],
    ['shared/a.ts', "import fs = require('fs');", 'Node-only'],
    ['shared/a.ts', "import {\n  WebSocketServer,\n} from 'ws';", 'Node-only'],
    ['shared/a.ts', "import si from 'systeminformation';", 'Node-only'],
    ['shared/a.ts', "import { register } from 'tsx/esm/api';", 'Node-only'],
    ['shared/a.ts', "import { x } from '../main/core/service';", 'shared/ must not import main/'],
    ['renderer/src/a.ts', "import { createServer } from 'node:http';", 'Node-only'],
    ['renderer/src/a.ts', "import 'ws';", 'Node-only'],
    ['renderer/src/lib/a.ts', "import { takeSnapshot } from '../../../main/core/snapshot';", 'renderer/ must not import main/'],
    ['renderer/src/lib/a.ts', "export * from '../../../main/serve/token';", 'renderer/ must not import main/'],
    ['renderer/src/A.svelte', "<script lang=\"ts\">\n  import { readFileSync } from 'fs';\n</script>\n<p>don't</p>", 'Node-only'],
    ['main/cli/a.ts', "import { app } from 'electron';", 'only main/electron/'],
    ['main/core/a.ts', "const { ipcMain } = await import('electron');", 'only main/electron/'],
    ['main/serve/a.ts', "import 'electron/main';", 'only main/electron/'],
    ['renderer/src/a.ts', "const { ipcRenderer } = require('electron');", 'only main/electron/'],
    ['main/cli/a.ts', 'const { main } = await import(process.env.IDLEWATCH_CLI!);', 'literal'],
    ['main/cli/a.ts', 'const helper = require(`${dir}/helper`);', 'literal'],
    ['main/core/a.ts', "if (process.platform === 'linux') {}", 'process.platform'],
  ])('%s: %j', (path, text, rule) => {
    const found = violations(path, text);
    expect(found.length, found.join('\n')).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(rule);
  });

  it.each([
    ['shared/a.ts', "// import fs from 'node:fs'\nconst text = \"require('fs')\";\nimport { z } from 'zod';"],
    ['shared/a.ts', "import { x } from './model';\nexport * from './format';"],
    ['renderer/src/a.ts', "import type { Snapshot } from '../../shared/model';\nimport { mount } from 'svelte';"],
    ['main/electron/a.ts', "import { app } from 'electron';"],
    ['main/cli/a.ts', "const { runServe } = await import('./serve');\nimport { readFile } from 'node:fs/promises';"],
    ['main/platform/index.ts', "if (process.platform === 'linux') {}"],
  ])('%s: %j is allowed', (path, text) => {
    expect(violations(path, text)).toEqual([]);
  });
});
