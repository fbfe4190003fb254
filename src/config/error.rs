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
pub(crate) struct PerrBody {
    pub pos: Pos,
    pub msg: String,
}

/// Boxed so that a `PResult` carries one pointer on its error side: every `?` in the
/// parser then moves a word instead of a position and a `String` (on MIPS the difference
/// is several kilobytes over the parser's few hundred `?`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Perr(Box<PerrBody>);

impl Perr {
    #[inline(never)]
    pub(crate) fn new(pos: Pos, msg: String) -> Perr {
        Perr(Box::new(PerrBody { pos, msg }))
    }
}

impl std::ops::Deref for Perr {
    type Target = PerrBody;
    fn deref(&self) -> &PerrBody {
        &self.0
    }
}

impl std::ops::DerefMut for Perr {
    fn deref_mut(&mut self) -> &mut PerrBody {
        &mut self.0
    }
}

pub(crate) type PResult<T> = Result<T, Perr>;

pub(crate) fn perr<T>(pos: Pos, msg: impl Msg) -> PResult<T> {
    Err(msg.at(pos))
}

/// A message `perr` takes: a `String`, or a `&str` copied out of line (for code size:
/// not one inlined copy per call site, ~400 bytes on MIPS).
pub(crate) trait Msg {
    fn at(self, pos: Pos) -> Perr;
}

impl Msg for String {
    fn at(self, pos: Pos) -> Perr {
        Perr::new(pos, self)
    }
}

impl Msg for &str {
    #[inline(never)]
    fn at(self, pos: Pos) -> Perr {
        Perr::new(pos, self.to_string())
    }
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
            message: self.0.msg,
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
