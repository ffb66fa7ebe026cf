/**
 * Bundles the operator console (web/src) into dist/console: index.html, and content-hashed script, stylesheet
 * and icon under assets/. `npm run build` runs it after the server's tsc; tests call buildConsole() into a
 * directory of their own.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const webDir = path.dirname(fileURLToPath(import.meta.url));
export const defaultOutDir = path.join(webDir, '..', 'dist', 'console');

export type ConsoleBuild = {
  outDir: string;
  script: string;
  stylesheet: string;
  bytes: number;
  /** Every source file that went into the bundle, relative to the repository. */
  inputs: string[];
};

export async function buildConsole(outDir: string = defaultOutDir): Promise<ConsoleBuild> {
  const assetDir = path.join(outDir, 'assets');
  fs.rmSync(outDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: path.join(webDir, 'src', 'main.tsx') },
    outdir: assetDir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    // Browsers an operator runs today; nothing needs a polyfill.
    target: ['chrome111', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: false,
    metafile: true,
    legalComments: 'none',
    loader: { '.svg': 'file' },
    logLevel: 'silent',
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
  const script = outputs.find((f) => f.endsWith('.js'));
  const stylesheet = outputs.find((f) => f.endsWith('.css'));
  if (!script || !stylesheet) throw new Error(`console build produced ${outputs.join(', ')}`);
  const icon = copyHashed(path.join(webDir, 'favicon.svg'), assetDir);
  const html = fs
    .readFileSync(path.join(webDir, 'index.html'), 'utf8')
    .replaceAll('{{script}}', `/console/${script}`)
    .replaceAll('{{stylesheet}}', `/console/${stylesheet}`)
    .replaceAll('{{icon}}', `/console/${icon}`);
  fs.writeFileSync(path.join(outDir, 'index.html'), html);
  const bytes = [script, stylesheet].reduce((n, f) => n + fs.statSync(path.join(assetDir, f)).size, 0);
  const inputs = Object.keys(result.metafile.inputs).map((f) =>
    path.relative(path.join(webDir, '..'), path.resolve(f)),
  );
  return { outDir, script, stylesheet, bytes, inputs };
}

function copyHashed(file: string, dir: string): string {
  const body = fs.readFileSync(file);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 8);
  const name = `${path.basename(file, path.extname(file))}-${hash}${path.extname(file)}`;
  fs.writeFileSync(path.join(dir, name), body);
  return name;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildConsole(process.argv[2] ?? defaultOutDir);
  process.stdout.write(`console: ${path.relative(process.cwd(), out.outDir)} (${out.bytes} bytes)\n`);
}
