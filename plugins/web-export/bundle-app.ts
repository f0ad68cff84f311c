import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE_HTML } from './app/page-html';

/** The page's entry module, compiled beside this one (dist/plugins/web-export/app/main.js). */
const ENTRY = path.join(__dirname, 'app', 'main.js');

interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ errors: Array<{ text: string }> }>;
}

function loadEsbuild(): Esbuild {
  try {
    return require('esbuild') as Esbuild;
  } catch (err) {
    throw new Error(`slipkit export bundles the web page with esbuild, which is not installed (npm install --save-dev esbuild): ${(err as Error).message}`);
  }
}

/** The WebAssembly binaries of @tensorflow/tfjs-backend-wasm, served beside the page for its wasm backend. */
function wasmBinaries(): string[] {
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const dist = path.join(dir, 'dist');
  return fs.readdirSync(dist).filter((f) => f.endsWith('.wasm')).map((f) => path.join(dist, f));
}

/**
 * Writes the static page: index.html, app.js (the app with @tensorflow/tfjs and its WebGPU and
 * wasm backends, bundled by esbuild, no CDN) and the wasm binaries. Returns the files written.
 */
export async function writeWebApp(outDir: string): Promise<string[]> {
  fs.mkdirSync(outDir, { recursive: true });
  const result = await loadEsbuild().build({
    entryPoints: [ENTRY],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  if (result.errors.length) throw new Error(`bundling the web page failed: ${result.errors.map((e) => e.text).join('; ')}`);
  fs.writeFileSync(path.join(outDir, 'index.html'), PAGE_HTML);
  const wasm = wasmBinaries().map((file) => {
    fs.copyFileSync(file, path.join(outDir, path.basename(file)));
    return path.basename(file);
  });
  return ['index.html', 'app.js', ...wasm];
}
