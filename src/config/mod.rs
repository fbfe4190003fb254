//! keepalived.conf's LVS grammar: lexing, parsing and resolving into `model::config`.
