#!/usr/bin/env bash
# Builds and runs the BankLedger demo: three node processes, kill -9 of the primary mid-run, automatic failover,
# then the audit. Arguments go to the demo, e.g. ./run.sh --seed 42 --kill-after 300 --dir /tmp/bank
set -euo pipefail
cd "$(dirname "$0")"
dotnet build -c Release -v q --nologo BankLedger.csproj
exec dotnet bin/Release/net10.0/BankLedger.dll --demo "$@"
