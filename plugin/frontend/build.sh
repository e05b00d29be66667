#!/usr/bin/env bash
# Recorded build step for the XBlock's vendored front-end files: installs exactly
# what package-lock.json records (integrity-checked, no install scripts) and
# writes src/sabaq_xblock/static/vendor/. Commit the files it writes (never node_modules/).
#   bash build.sh                 build from the lock
#   bash build.sh --update-lock   after changing package.json: re-resolve package-lock.json
#                                 (without "resolved" addresses; npm ci finds each package on
#                                 the configured registry and checks its integrity), then build
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = "--update-lock" ]; then
  npm install --package-lock-only --ignore-scripts --omit-lockfile-registry-resolved --no-audit --no-fund
fi
npm ci --ignore-scripts --no-audit --no-fund
out=../src/sabaq_xblock/static/vendor
rm -rf "$out"
mkdir -p "$out/codemirror" "$out/katex/fonts"
node node_modules/esbuild/bin/esbuild editor-entry.js --bundle --minify --format=iife \
  --target=es2019 --legal-comments=none --outfile="$out/codemirror/sabaq-editor.js"
for pkg in codemirror @codemirror/view @codemirror/state @codemirror/commands @codemirror/language \
           @codemirror/lang-python; do
  name=$(echo "$pkg" | tr '/@' '__')
  cp "node_modules/$pkg/LICENSE" "$out/codemirror/LICENSE.$name"
done
cp node_modules/katex/dist/katex.min.js node_modules/katex/dist/katex.min.css \
   node_modules/katex/dist/contrib/auto-render.min.js node_modules/katex/LICENSE "$out/katex/"
cp node_modules/katex/dist/fonts/*.woff2 "$out/katex/fonts/"
node -e 'const p=require("./package.json");const d={...p.dependencies,...p.devDependencies};
  const v={};for(const k of Object.keys(d)){v[k]=require("./node_modules/"+k+"/package.json").version;}
  require("fs").writeFileSync("'"$out"'/VERSIONS.json",JSON.stringify(v,null,2)+"\n");'
echo "vendored files written to $out"
