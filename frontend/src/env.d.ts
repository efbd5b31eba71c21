// esbuild bundles imported stylesheets into the entry's .css file.
declare module "*.css";
