#!/usr/bin/env bash
# Fetch the browser code from the npm registry into $1: the GraphiQL bundle (and the React it
# runs on), and the pages' htmx, Alpine.js and cytoscape.js (docs/pages.md). Browsers here
# cannot reach a CDN, so the pages load these files from /static/vendor.
# Pinned versions and tarball checksums; idempotent: nothing is fetched when $1/.fetched already
# names these versions and every file is there. Usage: fetch_graphiql.sh DEST
set -euo pipefail

dest=${1:?usage: fetch_graphiql.sh DEST (e.g. app/api/static/vendor)}

# name@version  sha512 of the tarball (hex; npm's dist.integrity is the same digest in base64)
packages=(
  "graphiql@3.8.3 72e3c362d5d5295f3a3eee4f1c15fae3639d8bfb95104db2d49c6ae6b18efd0cb51b6951a7b659edafd3df4473c61b8b496a3dcd46f3ab43f7538f7ffc7d1483"
  "react@18.3.1 c12fa1020252851d0a844bcf240adfb8f54dd7e1f3d6dd18ea7e632eb1906e46f8bab80f13fd11bdefb590c075bffa16807826e1621c57e8bb176a53563fb689"
  "react-dom@18.3.1 e66e2740aa7ead945bd3d2cd1f9f463380714e1f76e75ff295b2886e97bb4e91b17c9fbd92fe812e42c15c88e3b296e06e720136a948db7b519d3593d2c9d423"
  "htmx.org@2.0.8 7e6dbdee2aeed225ac349941ae3bed37b57dce36b177eebd3aa8e1e05fd5abd5b08b69058ac2dcacb0a2bf9a015f428b7ce5ffcc6f00528f5138c5395d4078e1"
  "alpinejs@3.17.5 5dec0ca910bace3cbc89a50f9fce9dc63be8a00b0d6a2de152d41b767d00e47db0ec9b75d311c667549cccde7e0efa7750a92e484b7d9a8cbf51a5163b029d9d"
  "cytoscape@3.35.0 b0cbc121788632786409a5b3d91d3a17017fdbb30d952f93aaf8b5edfa0ef54867520dd719971c2a3c6cbc4a9014041831249998de52c58cd46254340ce249de"
)
# file in the tarball -> file in DEST
files=(
  "graphiql package/graphiql.min.js graphiql.min.js"
  "graphiql package/graphiql.min.css graphiql.min.css"
  "graphiql package/LICENSE LICENSE.graphiql"
  "react package/umd/react.production.min.js react.production.min.js"
  "react package/LICENSE LICENSE.react"
  "react-dom package/umd/react-dom.production.min.js react-dom.production.min.js"
  "react-dom package/LICENSE LICENSE.react-dom"
  "htmx.org package/dist/htmx.min.js htmx.min.js"
  "htmx.org package/LICENSE LICENSE.htmx"
  "alpinejs package/dist/cdn.min.js alpine.min.js"
  "alpinejs package/package.json package.alpinejs.json"
  "cytoscape package/dist/cytoscape.min.js cytoscape.min.js"
  "cytoscape package/LICENSE LICENSE.cytoscape"
)

stamp=""
for entry in "${packages[@]}"; do stamp+="${entry%% *} "; done
stamp=${stamp% }

complete() {
  [[ -f "$dest/.fetched" && "$(cat "$dest/.fetched")" == "$stamp" ]] || return 1
  local entry target
  for entry in "${files[@]}"; do
    target=${entry##* }
    [[ -s "$dest/$target" ]] || return 1
  done
}

if complete; then
  touch "$dest/.fetched"  # newer than this script, so make stops asking
  echo "browser files up to date in $dest ($stamp)"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is needed to fetch GraphiQL's browser files from the npm registry, and it is" >&2
  echo "       not on PATH. Install Node.js with npm (Debian: apt-get install -y npm) and run" >&2
  echo "       'make install' again." >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "fetching $stamp from the npm registry"
for entry in "${packages[@]}"; do
  spec=${entry%% *}
  want=${entry##* }
  name=${spec%@*}
  tarball=$(cd "$work" && npm pack --silent --ignore-scripts --no-fund --no-audit "$spec" | tail -n 1)
  got=$(sha512sum "$work/$tarball" | cut -d' ' -f1)
  if [[ "$got" != "$want" ]]; then
    echo "error: $spec from the registry does not match its pinned checksum" >&2
    echo "       expected sha512 $want" >&2
    echo "       got      sha512 $got" >&2
    exit 1
  fi
  mkdir -p "$work/$name"
  tar -xzf "$work/$tarball" -C "$work/$name"
done

# Copy into a staging folder first, so DEST never holds a half-fetched set.
stage="$work/stage"
mkdir -p "$stage"
for entry in "${files[@]}"; do
  read -r name member target <<<"$entry"
  if [[ ! -s "$work/$name/$member" ]]; then
    echo "error: $member is missing from the $name tarball; the pinned version may have changed" >&2
    exit 1
  fi
  cp "$work/$name/$member" "$stage/$target"
done

mkdir -p "$dest"
rm -f "$dest/.fetched"
for entry in "${files[@]}"; do
  target=${entry##* }
  mv -f "$stage/$target" "$dest/$target"
done
echo "$stamp" >"$dest/.fetched"
echo "browser files in $dest"
