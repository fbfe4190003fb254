//! keepalived.conf's LVS grammar: lexing, parsing and resolving into `model::config`.

// The parser that consumes the lexer lands in the next commit.
#[allow(dead_code)]
mod error;
#[allow(dead_code)]
pub(crate) mod lex;

pub use error::ConfigError;
