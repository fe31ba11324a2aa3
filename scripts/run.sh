#!/usr/bin/env bash
# make run: the manager in the background (logs to a file), the local
# gateway in front (logs on this terminal); Ctrl-C or the gateway exiting
# stops both. Prints the URLs, the token and CA paths, and a curl
# walk-through. Settings come from the Makefile's RUN_* variables.
set -euo pipefail

BIN=${BIN:-./build/certgate}
WASM=${WASM:-./build/certgate-filter.wasm}
RUN_DATA=${RUN_DATA:?}
RUN_LISTEN=${RUN_LISTEN:-127.0.0.1:9443}
RUN_GATEWAY_DATA=${RUN_GATEWAY_DATA:?}
RUN_GATEWAY_LISTEN=${RUN_GATEWAY_LISTEN:-127.0.0.1:8443}
MANAGER_LOG=${MANAGER_LOG:-$(dirname "$RUN_DATA")/manager.log}

MANAGER_URL=http://$RUN_LISTEN
GATEWAY_URL=https://$RUN_GATEWAY_LISTEN
CA=$RUN_GATEWAY_DATA/gateway-ca.crt

mkdir -p "$RUN_DATA" "$RUN_GATEWAY_DATA"
manager_pid= gateway_pid=
cleanup() {
  trap - EXIT INT TERM
  [[ -n $gateway_pid ]] && kill -TERM "$gateway_pid" 2>/dev/null || true
  [[ -n $manager_pid ]] && kill -TERM "$manager_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "stopped (manager log: $MANAGER_LOG)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BIN" serve --listen "$RUN_LISTEN" --data-dir "$RUN_DATA" >>"$MANAGER_LOG" 2>&1 &
manager_pid=$!
for _ in $(seq 100); do
  curl -sf -o /dev/null "$MANAGER_URL/readyz" && break
  kill -0 "$manager_pid" 2>/dev/null || { echo "the manager did not start:"; tail -n 20 "$MANAGER_LOG"; exit 1; }
  sleep 0.1
done

"$BIN" gateway --listen "$RUN_GATEWAY_LISTEN" --data-dir "$RUN_GATEWAY_DATA" --manager "$MANAGER_URL" \
  --manager-data-dir "$RUN_DATA" --filter-wasm "$WASM" &
gateway_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/${RUN_GATEWAY_LISTEN%:*}/${RUN_GATEWAY_LISTEN##*:}") 2>/dev/null && break
  kill -0 "$gateway_pid" 2>/dev/null || { echo "the gateway did not start"; exit 1; }
  sleep 0.1
done

cat <<EOF

certgate manager   $MANAGER_URL/api/am/publisher/v4      (log: $MANAGER_LOG)
admin token        $RUN_DATA/admin-token
certgate gateway   $GATEWAY_URL      (the filter in wasmtest, 2 workers, echo backend)
gateway CA         $CA      (curl --cacert)
Ctrl-C stops both.

Walk-through (paste into another terminal; on a fresh data dir — steps 2 and 6
answer 409 if the API or tier already exist):

URL=$MANAGER_URL/api/am/publisher/v4
AUTH="Authorization: Bearer \$(cat $RUN_DATA/admin-token)"
GW=$GATEWAY_URL
CA=$CA
cd "\$(mktemp -d)"

# 1. A client certificate and key.
openssl req -newkey rsa:2048 -nodes -keyout demo.key -x509 -days 365 -out demo.crt -subj "/CN=demo-client"

# 2. An API secured with mutual SSL.
API_ID=\$(curl -s -H "\$AUTH" -H 'Content-Type: application/json' -X POST \$URL/apis -d '{
  "name": "PizzaShackAPI", "version": "1.0.0", "context": "/pizzashack",
  "securityScheme": ["mutualssl"], "isDefaultVersion": true,
  "endpointConfig": {"endpoint_type": "http", "production_endpoints": {"url": "http://localhost:9444/pizzashack"}}
}' | sed -E 's/.*"id":"([^"]+)".*/\1/'); echo "\$API_ID"

# 3. Upload the certificate with a tier.
curl -s -H "\$AUTH" -X POST \$URL/apis/\$API_ID/client-certificates -F certificate=@demo.crt -F alias=demo-client -F tier=Gold; echo

# 4. Call through the gateway with the certificate: 200, the echo backend shows who called.
curl -s --cacert \$CA --cert demo.crt --key demo.key \$GW/pizzashack/1.0.0/menu

# 5. Without a certificate: 401 from the filter.
curl -s -w ' HTTP %{http_code}\n' --cacert \$CA \$GW/pizzashack/1.0.0/menu

# 6. A tiny tier (3 requests/minute) on the certificate: the 4th call is 429 with Retry-After.
curl -s -H "\$AUTH" -H 'Content-Type: application/json' -X POST \$URL/throttling-policies/subscription \\
  -d '{"name":"Tiny","requestCount":3,"timeUnit":"min"}'; echo
curl -s -H "\$AUTH" -X PUT \$URL/apis/\$API_ID/client-certificates/demo-client -F tier=Tiny; echo
for i in 1 2 3 4; do curl -s -o /dev/null -w '%{http_code} ' --cacert \$CA --cert demo.crt --key demo.key \$GW/pizzashack/menu; done; echo
curl -s -D - --cacert \$CA --cert demo.crt --key demo.key \$GW/pizzashack/menu

EOF

wait "$gateway_pid"
