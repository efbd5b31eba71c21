// Build the UI into ../src/carnet/web/static/ with content-hashed names, plus a
// manifest.json that the server reads to know which files a page loads.
//   node build.mjs           production build (minified)
//   node build.mjs --watch   rebuild on change, with inline source maps
//   node build.mjs --tests   bundle src/**/*.test.ts for node's test runner
import * as esbuild from "esbuild";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, "../src/carnet/web/static");
const entries = { dashboard: "src/dashboard.ts" };
const args = new Set(process.argv.slice(2));

async function tests() {
  const files = (await readdir(path.join(here, "src"))).filter((f) => f.endsWith(".test.ts"));
  const testdir = path.join(here, ".test-build");
  await rm(testdir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: files.map((f) => `src/${f}`),
    outdir: testdir,
    outExtension: { ".js": ".mjs" },
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
    await esbuild.build(options);
  }
}

await main();
