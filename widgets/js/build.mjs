// Vendors the front-end files that render widget state with no kernel and no network.
//
// Fetches the exact package versions listed in package.json ("vendor") with `npm pack`,
// checks each tarball against the integrity recorded in vendor-lock.json, and writes the
// files that sabaq_widgets/static/vendor ships:
//   require.js         AMD loader used by the widget manager
//   html-manager.js    @jupyter-widgets/html-manager (libembed-amd: base, controls, manager)
//   anywidget.js       anywidget's front end, as the named AMD module "anywidget"
// plus their licences. Source-map comments are removed (the maps are not shipped), and the
// manager's public-CDN fallback is pointed at the page's own origin.
//
//   node build.mjs                 build, verifying tarballs against vendor-lock.json
//   node build.mjs --update-lock   build and record new integrity values
//   node build.mjs --check         rebuild into a temporary directory and compare with the committed files
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(here, "package.json"), "utf8"));
const lockPath = path.join(here, "vendor-lock.json");
const lock = fs.existsSync(lockPath) ? JSON.parse(fs.readFileSync(lockPath, "utf8")) : { packages: {} };
const updateLock = process.argv.includes("--update-lock");
const check = process.argv.includes("--check");
const committed = path.resolve(here, "..", "src", "sabaq_widgets", "static", "vendor");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sabaq-vendor-"));
const outDir = check ? path.join(work, "out") : committed;
fs.mkdirSync(outDir, { recursive: true });

function fetchPackage(name, version) {
  const dest = path.join(work, name.replace(/[@/]/g, "_"));
  fs.mkdirSync(dest, { recursive: true });
  const report = JSON.parse(
    execFileSync("npm", ["pack", `${name}@${version}`, "--json", "--pack-destination", dest], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  )[0];
  const recorded = lock.packages[name];
  if (!updateLock) {
    if (!recorded || recorded.version !== version || recorded.integrity !== report.integrity) {
      throw new Error(`${name}@${version}: integrity ${report.integrity} does not match vendor-lock.json; ` +
        "re-run with --update-lock after reviewing the new version");
    }
  }
  lock.packages[name] = { version, integrity: report.integrity };
  execFileSync("tar", ["xzf", path.join(dest, report.filename), "-C", dest]);
  return path.join(dest, "package");
}

const stripMaps = (text) => text.replace(/^\/\/# sourceMappingURL=[\w.-]+\.map;?$/gm, "");
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const outputs = {};
function write(name, text) {
  fs.writeFileSync(path.join(outDir, name), text);
  outputs[name] = sha256(text);
}

const requirejs = fetchPackage("requirejs", pkg.vendor.requirejs);
write("require.js", fs.readFileSync(path.join(requirejs, "require.js"), "utf8"));
write("require.js.LICENSE.txt", fs.readFileSync(path.join(here, "licenses", "requirejs.txt"), "utf8"));

const manager = fetchPackage("@jupyter-widgets/html-manager", pkg.vendor["@jupyter-widgets/html-manager"]);
// The manager falls back to a public CDN for modules it cannot find locally. Point that
// fallback at the page's own origin instead, so an unknown module can never leave the site.
const cdnFallback = /(let \w+=)"https:\/\/cdn\.[a-z]+\.net\/npm\/"/g;
const managerSource = fs.readFileSync(path.join(manager, "dist", "libembed-amd.js"), "utf8");
if ((managerSource.match(cdnFallback) || []).length !== 2) {
  throw new Error("html-manager: expected two CDN fallback constants; the bundle layout changed");
}
write("html-manager.js", stripMaps(managerSource.replace(cdnFallback, '$1"./"')));
write("html-manager.js.LICENSE.txt",
  fs.readFileSync(path.join(here, "licenses", "jupyter-widgets.txt"), "utf8") +
  "\n\nThird-party code bundled in html-manager.js:\n\n" +
  fs.readFileSync(path.join(manager, "dist", "embed.js.LICENSE.txt"), "utf8"));

const anywidget = fetchPackage("anywidget", pkg.vendor.anywidget);
const anySource = fs.readFileSync(path.join(anywidget, "dist", "index.js"), "utf8");
const anonymous = 'define(["@jupyter-widgets/base"], widget_default);';
if (anySource.split(anonymous).length !== 2) {
  throw new Error("anywidget: expected exactly one anonymous define(); the bundle layout changed");
}
write("anywidget.js", stripMaps(anySource.replace(anonymous,
  'define("anywidget", ["@jupyter-widgets/base"], widget_default);')));
write("anywidget.js.LICENSE.txt", fs.readFileSync(path.join(anywidget, "LICENSE"), "utf8"));

lock.outputs = outputs;
if (check) {
  const stale = Object.keys(outputs).filter((name) => {
    const file = path.join(committed, name);
    return !fs.existsSync(file) || sha256(fs.readFileSync(file, "utf8")) !== outputs[name];
  });
  fs.rmSync(work, { recursive: true, force: true });
  if (stale.length) throw new Error(`committed vendor files differ from a fresh build: ${stale.join(", ")}`);
  console.log("vendor files match a fresh build");
} else {
  fs.writeFileSync(lockPath, JSON.stringify({ lockfileVersion: 1, ...lock }, null, 2) + "\n");
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`wrote ${Object.keys(outputs).length} files`);
}
