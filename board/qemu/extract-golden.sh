#!/bin/bash
# Split the LVSMON-GOLDEN blocks of a scenario's console log into files: the texts Debian's
# ipvsadm printed for the table of conf/table.sh on the VM's kernel (reference outputs for
# lvsmon's formatting tests). Usage: extract-golden.sh LOG DIR
set -euo pipefail
log=${1:?usage: extract-golden.sh LOG DIR}; dir=${2:?usage: extract-golden.sh LOG DIR}
mkdir -p "$dir"
tr -d '\r' < "$log" | awk -v dir="$dir" '
    /^LVSMON-GOLDEN-BEGIN / { name = $2; sub(/:$/, "", name); file = dir "/" name ".txt"; printf "" > file; cmd = $0; sub(/^[^:]*: /, "", cmd); print name "\t" cmd > (dir "/COMMANDS"); next }
    /^LVSMON-GOLDEN-END / { close(file); file = ""; next }
    /^LVSMON-GOLDEN-ERR / { sub(/^LVSMON-GOLDEN-ERR /, ""); print >> (dir "/errors.txt"); next }
    file != "" { print >> file }'
