#!/usr/bin/env bash
# Builds the real Kubernetes control plane the integration tests run against: etcd, kube-apiserver
# and kube-controller-manager, from their Go modules (no binary downloads), cached per version under
# ${XDG_CACHE_HOME:-$HOME/.cache}/eksflow/{etcd,kubernetes}-<version>/bin. Called by provision.sh;
# can run on its own. Cold cost is measured in README ("Kubernetes side").
#
# Both upstream modules carry `replace` directives, so `go install module@version` refuses them; each
# is built from a scratch module that requires the release and repeats its replaces with published
# versions (k8s.io/<staging> => k8s.io/<staging> v0.<minor>.<patch>, go.etcd.io/etcd/* => v3.6.x).
set -euo pipefail

KUBERNETES_VERSION=${KUBERNETES_VERSION:-v1.35.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/eksflow"
tools="$root/.tools"
mkdir -p "$cache" "$tools/bin"
step() { printf '[provision] %-28s %s\n' "$1" "$2"; }
elapsed() { echo "$(( ($(date +%s%N) - $1) / 1000000 )) ms"; }
command -v go >/dev/null 2>&1 || { echo "[provision] missing toolchain: 'go' is needed to build etcd and Kubernetes. Install it and run again." >&2; exit 1; }

# Bounded, low-priority builds: the machine is shared and a full apiserver link peaks near 2 GB.
export GOFLAGS=-buildvcs=false
export GOTOOLCHAIN=local
par=${EKSFLOW_BUILD_PARALLELISM:-2}
nice_go() { nice -n 10 go "$@"; }

# --- etcd -----------------------------------------------------------------------------------------
etcd_dir="$cache/etcd-$ETCD_VERSION"
if [ ! -x "$etcd_dir/bin/etcd" ]; then
  s=$(date +%s%N)
  step "etcd" "building $ETCD_VERSION from its Go module (a few minutes, once)"
  tmp=$(mktemp -d)
  cat >"$tmp/go.mod" <<MOD
module eksflow.dev/etcd-build

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
MOD
  if ! (cd "$tmp" && nice_go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
        && nice_go build -p "$par" -trimpath -ldflags "-s -w" -o "$etcd_dir/bin.partial/etcd" go.etcd.io/etcd/server/v3) \
        >"$cache/etcd-$ETCD_VERSION.log" 2>&1; then
    echo "[provision] could not build etcd; see $cache/etcd-$ETCD_VERSION.log" >&2; exit 1
  fi
  rm -rf "$etcd_dir/bin" && mv "$etcd_dir/bin.partial" "$etcd_dir/bin" && rm -rf "$tmp"
  step "etcd" "built $etcd_dir/bin/etcd ($(elapsed "$s"))"
else
  step "etcd" "cached $etcd_dir/bin/etcd"
fi
ln -sfn "$etcd_dir/bin/etcd" "$tools/bin/etcd"

# --- kube-apiserver + kube-controller-manager -------------------------------------------------------
kube_dir="$cache/kubernetes-$KUBERNETES_VERSION"
if [ ! -x "$kube_dir/bin/kube-apiserver" ] || [ ! -x "$kube_dir/bin/kube-controller-manager" ]; then
  s=$(date +%s%N)
  step "kubernetes" "building kube-apiserver, kube-controller-manager $KUBERNETES_VERSION (~15 CPU-minutes, once)"
  tmp=$(mktemp -d)
  log="$cache/kubernetes-$KUBERNETES_VERSION.log"
  : >"$log"
  # The release's go.mod lists every staging module as `k8s.io/x => ./staging/src/k8s.io/x`; the
  # published copy of each is tagged v0.<minor>.<patch>.
  staging="v0.${KUBERNETES_VERSION#v1.}"
  modfile=$( (cd "$tmp" && nice_go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION") 2>>"$log" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$modfile" ] || { echo "[provision] could not fetch k8s.io/kubernetes@$KUBERNETES_VERSION's go.mod; see $log" >&2; exit 1; }
  go_line=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$modfile" | head -1)
  {
    echo "module eksflow.dev/kubernetes-build"
    echo
    echo "go ${go_line:-1.25.0}"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/[a-z0-9-]*$#\t\1 => \1 '"$staging"'#p' "$modfile"
    echo ")"
  } >"$tmp/go.mod"
  n=$(grep -c " => " "$tmp/go.mod" || true)
  [ "$n" -gt 20 ] || { echo "[provision] found only $n staging replaces in $modfile" >&2; exit 1; }
  ver_pkg=k8s.io/component-base/version
  minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  ldflags="-s -w -X $ver_pkg.gitVersion=$KUBERNETES_VERSION -X $ver_pkg.gitMajor=1 -X $ver_pkg.gitMinor=$minor -X $ver_pkg.gitTreeState=clean"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  mkdir -p "$kube_dir/bin.partial"
  if ! (cd "$tmp" \
        && nice_go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBERNETES_VERSION" \
        && for c in kube-apiserver kube-controller-manager; do
             echo "== $c $(date -u +%T)"
             nice_go build -p "$par" -trimpath -ldflags "$ldflags" -o "$kube_dir/bin.partial/$c" "k8s.io/kubernetes/cmd/$c" || exit 1
           done) >>"$log" 2>&1; then
    echo "[provision] could not build Kubernetes; see $log" >&2; exit 1
  fi
  rm -rf "$kube_dir/bin" && mv "$kube_dir/bin.partial" "$kube_dir/bin" && rm -rf "$tmp"
  step "kubernetes" "built $kube_dir/bin ($(elapsed "$s"))"
else
  step "kubernetes" "cached $kube_dir/bin"
fi
for c in kube-apiserver kube-controller-manager; do ln -sfn "$kube_dir/bin/$c" "$tools/bin/$c"; done
