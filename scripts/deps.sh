#!/usr/bin/env bash
# Installs the Debian packages dwm needs, only those that are missing.
# Usage: scripts/deps.sh [build|test|bench]
#   build: OpenBLAS, MuJoCo, HDF5 (the C libraries dwm links through cgo)
#   test:  build + h5py (independent HDF5 writer for tests), chromium (report page test),
#          slurm-wlm and munge (one-node cluster for the sweep test)
#   bench: build + python3-torch (PyTorch reference benchmarks only; never a runtime dependency)
set -euo pipefail
kind=${1:-build}
pkgs=(libopenblas-dev libmujoco-dev libhdf5-dev pkg-config gcc)
case "$kind" in
  build) ;;
  test) pkgs+=(python3-h5py python3-numpy chromium slurm-wlm munge) ;;
  bench) pkgs+=(python3-torch python3-numpy) ;;
  *) echo "deps.sh: unknown kind '$kind' (want build, test or bench)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
