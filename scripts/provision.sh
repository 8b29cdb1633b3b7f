#!/usr/bin/env bash
# Installs what eksflow needs to run and test locally, idempotently, with one progress line per
# step. Built tools are cached per version in ${XDG_CACHE_HOME:-$HOME/.cache}/eksflow so a fresh
# clone (CI) finds them; .tools/ in the repo only points there. Nothing is downloaded from the
# web: the Temporal CLI is built from its Go module, the test server comes from Maven Central,
# moto and statsforecast from PyPI, Chromium from Debian.
#   --with-chromium   also make sure headless Chromium exists (the report test uses it)
#   --with-deploy     also cfn-lint, Helm, kubeconform and the Kubernetes OpenAPI document (the
#                     deploy/ tests use them; `npm start` does not need them)
#   --with-kubernetes also build etcd, kube-apiserver, kube-controller-manager (the Kubernetes tests use them)
#   --with-stack      also PostgreSQL, the Temporal server, its schema tool and Web UI (`npm run stack`, the chaos test)
set -euo pipefail

TEMPORAL_CLI_VERSION=v1.5.1
TEMPORAL_CLI_FALLBACKS="v1.4.1 v1.3.0"
TEST_SERVER_VERSION=1.31.0
MOTO_VERSION=5.2.5
STATSFORECAST_VERSION=2.1.1
SCHEMATHESIS_VERSION=4.32.5
CFN_LINT_VERSION=1.58.0
HELM_VERSION=v3.21.4
KUBECONFORM_VERSION=v0.8.0
K8S_OPENAPI_VERSION=v1.35.4

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/eksflow"
tools="$root/.tools"
mkdir -p "$cache" "$tools/bin"
with_chromium=0
with_deploy=0
with_kubernetes=0
with_stack=0
for arg in "$@"; do
  case "$arg" in
    --with-chromium) with_chromium=1 ;;
    --with-deploy) with_deploy=1 ;;
    --with-kubernetes) with_kubernetes=1 ;;
    --with-stack) with_stack=1 ;;
    *) echo "provision: unknown argument $arg" >&2; exit 2 ;;
  esac
done

# One provisioning at a time per machine (npm start and npm test may race in CI or by hand).
exec 9>"$cache/.lock"
flock 9

t0=$(date +%s%N)
step() { printf '[provision] %-28s %s\n' "$1" "$2"; }
elapsed() { echo "$(( ($(date +%s%N) - $1) / 1000000 )) ms"; }
need() {
  command -v "$1" >/dev/null 2>&1 || { echo "[provision] missing toolchain: '$1' is needed to $2. Install it and run again." >&2; exit 1; }
}

# 1. Node dependencies, from the lock file.
s=$(date +%s%N)
if [ ! -d "$root/node_modules/@temporalio/worker" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  need npm "install the Node.js dependencies"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  step "node modules" "installed ($(elapsed "$s"))"
else
  step "node modules" "up to date"
fi

# 2. Temporal CLI (dev server with SQLite and the Web UI).
s=$(date +%s%N)
if command -v temporal >/dev/null 2>&1 && [ "$(command -v temporal)" != "$tools/bin/temporal" ]; then
  ln -sfn "$(command -v temporal)" "$tools/bin/temporal"
  step "temporal cli" "using $(command -v temporal)"
else
  built=""
  for v in $TEMPORAL_CLI_VERSION $TEMPORAL_CLI_FALLBACKS; do
    if [ -x "$cache/temporal-cli-$v/bin/temporal" ]; then built="$cache/temporal-cli-$v/bin/temporal"; break; fi
  done
  if [ -z "$built" ]; then
    need go "build the Temporal CLI (go install github.com/temporalio/cli/cmd/temporal)"
    for v in $TEMPORAL_CLI_VERSION $TEMPORAL_CLI_FALLBACKS; do
      step "temporal cli" "building $v from its Go module (a few minutes, once)"
      if GOBIN="$cache/temporal-cli-$v/bin" GOFLAGS=-buildvcs=false go install "github.com/temporalio/cli/cmd/temporal@$v" >"$cache/temporal-cli-$v.log" 2>&1; then
        built="$cache/temporal-cli-$v/bin/temporal"; break
      fi
      step "temporal cli" "$v failed (see $cache/temporal-cli-$v.log), trying an older tag"
    done
    [ -n "$built" ] || { echo "[provision] could not build the Temporal CLI; see $cache/temporal-cli-*.log" >&2; exit 1; }
    step "temporal cli" "built $built ($(elapsed "$s"))"
  else
    step "temporal cli" "cached $built"
  fi
  ln -sfn "$built" "$tools/bin/temporal"
fi

# 3. Java time-skipping test server, with a launcher the TypeScript SDK calls as `<path> <port> [args]`.
s=$(date +%s%N)
ts_dir="$cache/temporal-test-server-$TEST_SERVER_VERSION"
if [ ! -f "$ts_dir/lib/temporal-test-server-$TEST_SERVER_VERSION.jar" ]; then
  need java "run the Temporal time-skipping test server"
  need mvn "fetch io.temporal:temporal-test-server from Maven Central"
  step "test server" "fetching $TEST_SERVER_VERSION with Maven"
  tmp=$(mktemp -d)
  cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>dev.eksflow</groupId><artifactId>test-server-fetch</artifactId><version>1</version><packaging>pom</packaging>
<dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TEST_SERVER_VERSION</version></dependency></dependencies>
</project>
POM
  (cd "$tmp" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$ts_dir/lib.partial") >"$cache/test-server.log" 2>&1 \
    || { echo "[provision] Maven could not fetch the test server; see $cache/test-server.log" >&2; exit 1; }
  rm -rf "$ts_dir/lib" && mv "$ts_dir/lib.partial" "$ts_dir/lib" && rm -rf "$tmp"
  step "test server" "fetched ($(elapsed "$s"))"
else
  step "test server" "cached $ts_dir"
fi
cat >"$tools/bin/temporal-test-server" <<LAUNCH
#!/usr/bin/env bash
# Generated by scripts/provision.sh: Temporal's Java time-skipping test server $TEST_SERVER_VERSION.
exec java -Xss1m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$ts_dir/lib/*" io.temporal.testserver.TestServer "\$@"
LAUNCH
chmod +x "$tools/bin/temporal-test-server"

# 4. Python tools, each in its own virtualenv under the cache, pinned and stamped complete.
pip_venv() { # name version pip-spec why → prints nothing; the venv is "$cache/<name>-<version>"
  local name=$1 version=$2 spec=$3 why=$4 s dir
  s=$(date +%s%N)
  dir="$cache/$name-$version"
  if [ ! -f "$dir/.complete" ]; then
    need python3 "$why"
    step "$name" "installing $spec into $dir"
    # A venv's scripts carry absolute paths, so it is built in place; the stamp marks it complete.
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check "$spec" >"$cache/$name.log" 2>&1 \
      || { echo "[provision] pip could not install $name; see $cache/$name.log" >&2; exit 1; }
    touch "$dir/.complete"
    step "$name" "installed ($(elapsed "$s"))"
  else
    step "$name" "cached $dir"
  fi
}

# 4a. moto server: the AWS emulator the tests and the sandbox talk to.
pip_venv moto "$MOTO_VERSION" "moto[server]==$MOTO_VERSION" "run the moto AWS emulator"
ln -sfn "$cache/moto-$MOTO_VERSION" "$tools/moto"

# 4b. statsforecast in its own virtualenv: the forecaster's peers in `npm run eval:ml`
#     (AutoETS, AutoTheta, MSTL). The version must match STATSFORECAST_VERSION in src/ml/eval/peers.ts.
pip_venv statsforecast "$STATSFORECAST_VERSION" "statsforecast==$STATSFORECAST_VERSION" "run the statsforecast peers of the ML evaluation"
ln -sfn "$cache/statsforecast-$STATSFORECAST_VERSION" "$tools/statsforecast"

# 4c. schemathesis in its own virtualenv: the operator API fuzz test (test/integration/api-fuzz.test.ts).
pip_venv schemathesis "$SCHEMATHESIS_VERSION" "schemathesis==$SCHEMATHESIS_VERSION" "run the schemathesis API fuzzer"
ln -sfn "$cache/schemathesis-$SCHEMATHESIS_VERSION" "$tools/schemathesis"

# 5. Deployment tooling: cfn-lint (PyPI) for the CloudFormation template, Helm and kubeconform
#    (Go modules) for the chart. kubeconform never fetches schemas here: the chart test points it at
#    the OpenAPI schema of the kube-apiserver module (test/integration/deploy-helm.test.ts).
if [ "$with_deploy" = 1 ]; then
pip_venv cfn-lint "$CFN_LINT_VERSION" "cfn-lint==$CFN_LINT_VERSION" "run cfn-lint"
ln -sfn "$cache/cfn-lint-$CFN_LINT_VERSION/bin/cfn-lint" "$tools/bin/cfn-lint"

go_tool() { # name version module
  local name=$1 version=$2 module=$3 s dir
  s=$(date +%s%N)
  dir="$cache/$name-$version"
  if [ ! -x "$dir/bin/$name" ]; then
    need go "build $name (go install $module)"
    step "$name" "building $version from its Go module (a minute or two, once)"
    GOBIN="$dir/bin.partial" GOFLAGS=-buildvcs=false nice -n 10 go install "$module@$version" >"$cache/$name-$version.log" 2>&1 \
      || { echo "[provision] could not build $name; see $cache/$name-$version.log" >&2; exit 1; }
    rm -rf "$dir/bin" && mv "$dir/bin.partial" "$dir/bin"
    step "$name" "built ($(elapsed "$s"))"
  else
    step "$name" "cached $dir/bin/$name"
  fi
  ln -sfn "$dir/bin/$name" "$tools/bin/$name"
}
go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm
go_tool kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform

# The Kubernetes OpenAPI (swagger) document kubeconform validates the chart against, taken from
# the k8s.io/kubernetes Go module (api/openapi-spec/swagger.json) rather than fetched at run time.
s=$(date +%s%N)
openapi="$cache/k8s-openapi-$K8S_OPENAPI_VERSION/swagger.json"
if [ ! -f "$openapi" ]; then
  need go "fetch the Kubernetes OpenAPI schema (go mod download k8s.io/kubernetes)"
  step "k8s openapi" "fetching k8s.io/kubernetes@$K8S_OPENAPI_VERSION from the Go proxy"
  moddir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_OPENAPI_VERSION" 2>"$cache/k8s-openapi.log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$moddir" ] && [ -f "$moddir/api/openapi-spec/swagger.json" ] \
    || { echo "[provision] could not fetch the Kubernetes OpenAPI document; see $cache/k8s-openapi.log" >&2; exit 1; }
  mkdir -p "$(dirname "$openapi")" && cp "$moddir/api/openapi-spec/swagger.json" "$openapi.partial" && mv "$openapi.partial" "$openapi"
  step "k8s openapi" "fetched ($(elapsed "$s"))"
else
  step "k8s openapi" "cached $openapi"
fi
ln -sfn "$openapi" "$tools/k8s-openapi.json"
fi

# 6. Headless Chromium (only for the HTML report test).
if [ "$with_chromium" = 1 ]; then
  if [ -x /usr/bin/chromium ]; then
    step "chromium" "present"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    s=$(date +%s%N)
    step "chromium" "installing Debian's chromium"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$cache/chromium.log" 2>&1 \
      || { echo "[provision] apt-get could not install chromium; see $cache/chromium.log" >&2; exit 1; }
    step "chromium" "installed ($(elapsed "$s"))"
  else
    step "chromium" "missing: install Debian's 'chromium' package (the report test will say it is skipped)"
  fi
fi

# 6. Prometheus (Debian's package, 2.42 on bookworm): the health checks are tested against it.
if [ -x /usr/bin/prometheus ]; then
  step "prometheus" "present ($(/usr/bin/prometheus --version 2>&1 | head -1 | awk '{print $3}'))"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  s=$(date +%s%N)
  step "prometheus" "installing Debian's prometheus"
  # The package's service is not started (no init here); tests run the binary themselves.
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
    || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus)) >"$cache/prometheus.log" 2>&1 \
    || { echo "[provision] apt-get could not install prometheus; see $cache/prometheus.log" >&2; exit 1; }
  step "prometheus" "installed ($(elapsed "$s"))"
else
  echo "[provision] missing: install Debian's 'prometheus' package (the health tests run it)" >&2; exit 1
fi
ln -sfn /usr/bin/prometheus "$tools/bin/prometheus"

# 7. etcd, kube-apiserver, kube-controller-manager (the real Kubernetes API the tests drain against).
#    Only for the tests: a cold build is long (README, "The Kubernetes side"), and the sandbox does not need it.
if [ "$with_kubernetes" = 1 ]; then
  bash "$root/scripts/provision-kubernetes.sh"
fi

# 8. PostgreSQL and the Temporal server built from its Go module: the production shape as processes.
if [ "$with_stack" = 1 ]; then
  bash "$root/scripts/provision-stack.sh"
fi

step "done" "$(elapsed "$t0")"
