//! `ConfigError`: the one error a config load returns, printed as `FILE:LINE:COL: message`
//! (1-based), plus the position-carrying error the lexer and parser use internally.

use std::fmt;
use std::path::PathBuf;

use crate::model::config::Pos;

/// A config error at a position. `Display` prints `FILE:LINE:COL: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// An error inside one load: the position indexes the load's file list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Perr {
    pub pos: Pos,
    pub msg: String,
}

pub(crate) type PResult<T> = Result<T, Perr>;

pub(crate) fn perr<T>(pos: Pos, msg: impl Into<String>) -> PResult<T> {
    Err(Perr {
        pos,
        msg: msg.into(),
    })
}

impl Perr {
    pub(crate) fn into_config_error(self, files: &[PathBuf]) -> ConfigError {
        let file = files
            .get(self.pos.file as usize)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "?".to_string());
        ConfigError {
            file,
            line: self.pos.line.max(1),
            col: self.pos.col.max(1),
            message: self.msg,
        }
    }
}

/// Formats a position for messages and warnings (`file:line:col`).
pub(crate) fn fmt_pos(files: &[PathBuf], pos: Pos) -> String {
    let file = files
        .get(pos.file as usize)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "?".to_string());
    format!("{}:{}:{}", file, pos.line, pos.col)
}
