#!/bin/sh
# Registers the search attributes sluice's workflows set (workflows/search-attributes.ts) on a
# Temporal namespace, with the Temporal CLI. `sluice dev` does this on its own dev server; any other
# Temporal needs it once per namespace, before the first environment workflow starts. Safe to run
# again: attributes that exist are left alone.
#
#   TEMPORAL_ADDRESS=temporal:7233 TEMPORAL_NAMESPACE=default sh deploy/temporal-search-attributes.sh
#
# Waits up to SLUICE_SETUP_WAIT seconds (120) for the namespace to exist: a fresh server registers it
# after it starts serving.
# On Temporal Cloud, add them in the namespace's settings or with `tcld` instead.
set -eu

address="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"
wait_seconds="${SLUICE_SETUP_WAIT:-120}"

tries=0
until temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt "$wait_seconds" ]; then
    echo "temporal-search-attributes: namespace ${namespace} not available at ${address} within ${wait_seconds} s" >&2
    exit 1
  fi
  sleep 1
done

existing=$(temporal operator search-attribute list --address "$address" --namespace "$namespace")
for attribute in SluiceEnvironment:Keyword SluiceModels:KeywordList SluiceTrigger:Keyword; do
  name="${attribute%%:*}"
  type="${attribute#*:}"
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "temporal-search-attributes: ${name} exists on ${namespace}"
  else
    temporal operator search-attribute create --address "$address" --namespace "$namespace" \
      --name "$name" --type "$type"
    echo "temporal-search-attributes: ${name} (${type}) added to ${namespace}"
  fi
done
