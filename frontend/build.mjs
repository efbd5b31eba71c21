// Build the UI into ../src/carnet/web/static/ with content-hashed names, plus a
// manifest.json that the server reads to know which files a page loads.
//   node build.mjs           production build (minified)
//   node build.mjs --watch   rebuild on change, with inline source maps
//   node build.mjs --tests   bundle src/**/*.test.ts for node's test runner
//   node build.mjs --sizes   production build, then print what each page loads first (gzipped)
import * as esbuild from "esbuild";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, "../src/carnet/web/static");
const entries = {
  dashboard: "src/dashboard.ts",
  notebook: "src/notebook.ts",
  editor: "src/editor.ts",
};
const args = new Set(process.argv.slice(2));

async function tests() {
  const files = (await readdir(path.join(here, "src"), { recursive: true }))
    .map((f) => f.split(path.sep).join("/"))
    .filter((f) => f.endsWith(".test.ts"));
  const testdir = path.join(here, ".test-build");
  await rm(testdir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: files.map((f) => `src/${f}`),
    outdir: testdir,
    outExtension: { ".js": ".mjs" },
    entryNames: "[name]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
}

// The manifest maps each entry to the files a page must load: {"dashboard": {"js": ..., "css": ...}}.
function manifestPlugin() {
  return {
    name: "carnet-manifest",
    setup(build) {
      build.onStart(async () => {
        // Hashed names change on every edit: drop the old ones so static/ holds one build.
        await mkdir(outdir, { recursive: true });
        for (const name of await readdir(outdir)) {
          if (/-[A-Z0-9]{8}\.(js|css|map)$/.test(name)) await rm(path.join(outdir, name));
        }
      });
      build.onEnd(async (result) => {
        if (result.errors.length || !result.metafile) return;
        const manifest = {};
        for (const [file, info] of Object.entries(result.metafile.outputs)) {
          if (!info.entryPoint) continue;
          const entry = Object.keys(entries).find((k) => entries[k] === info.entryPoint);
          if (!entry) continue;
          manifest[entry] = { js: path.basename(file) };
          if (info.cssBundle) manifest[entry].css = path.basename(info.cssBundle);
        }
        await writeFile(
          path.join(outdir, "manifest.json"),
          JSON.stringify(manifest, null, 1) + "\n",
        );
      });
    },
  };
}

// What a page loads before it can run: its entry and every chunk it imports statically
// (chunks behind import() load later, when needed).
async function sizes(metafile) {
  for (const [file, info] of Object.entries(metafile.outputs)) {
    if (!info.entryPoint || !file.endsWith(".js")) continue;
    const seen = new Set();
    const visit = (f) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const imp of metafile.outputs[f]?.imports ?? []) {
        if (imp.kind === "import-statement") visit(imp.path);
      }
    };
    visit(file);
    if (info.cssBundle) seen.add(info.cssBundle);
    let raw = 0;
    let gz = 0;
    for (const f of seen) {
      const data = await readFile(path.resolve(here, f));
      raw += data.length;
      gz += gzipSync(data, { level: 9 }).length;
    }
    const kb = (n) => (n / 1024).toFixed(1);
    console.log(`${info.entryPoint}: ${seen.size} files, ${kb(raw)} KiB, ${kb(gz)} KiB gzipped`);
  }
}

async function main() {
  if (args.has("--tests")) return tests();
  const watch = args.has("--watch");
  const options = {
    absWorkingDir: here,
    entryPoints: entries,
    outdir,
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    assetNames: "asset-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    minify: !watch,
    sourcemap: watch ? "inline" : false,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    plugins: [manifestPlugin()],
  };
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
    console.log(`watching src/, writing ${outdir}`);
  } else {
    const result = await esbuild.build(options);
    if (args.has("--sizes")) await sizes(result.metafile);
  }
}

await main();
