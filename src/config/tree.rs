//! Statement tree: tokens -> `keyword args... [{ statements }]`, the shape every
//! keepalived.conf block has. A statement's arguments are the words on its logical line;
//! its block opens with `{` on the same line or at the start of the next one.
//!
//! `build` checks the structure in one pass over the tokens (the errors, and their order,
//! are those of a recursive descent: the first misplaced brace, too deep a nesting, or
//! the innermost block left open) and allocates nothing but a stack of open blocks. A
//! `Block` is then the slice of tokens between its braces; iterating it yields its
//! statements, each borrowing its keyword, its arguments (consecutive tokens) and its own
//! block's slice. A token is visited once per enclosing block level (at most
//! MAX_NESTING), so walking the whole tree is linear.

use crate::config::error::{perr, PResult};
use crate::config::lex::{TokKind, Token};

/// Blocks nested deeper than this are refused (keepalived's grammar needs 4).
pub const MAX_NESTING: usize = 16;

#[derive(Clone, Copy, Debug)]
pub struct Stmt<'t> {
    pub kw: &'t Token<'t>,
    pub args: &'t [Token<'t>],
    pub block: Option<Block<'t>>,
}

/// The statements between a pair of braces (or of the whole file), checked by `build`.
#[derive(Clone, Copy, Debug)]
pub struct Block<'t> {
    toks: &'t [Token<'t>],
}

impl<'t> Block<'t> {
    pub fn iter(&self) -> Stmts<'t> {
        Stmts {
            toks: self.toks,
            i: 0,
        }
    }
}

impl<'t> IntoIterator for Block<'t> {
    type Item = Stmt<'t>;
    type IntoIter = Stmts<'t>;
    fn into_iter(self) -> Stmts<'t> {
        self.iter()
    }
}

/// Iterator over a block's statements.
pub struct Stmts<'t> {
    toks: &'t [Token<'t>],
    i: usize,
}

impl<'t> Iterator for Stmts<'t> {
    type Item = Stmt<'t>;

    fn next(&mut self) -> Option<Stmt<'t>> {
        let toks = self.toks;
        let kw = toks.get(self.i)?;
        if kw.kind != TokKind::Word {
            // Not after `build`'s check; end rather than guess.
            self.i = toks.len();
            return None;
        }
        self.i += 1;
        let args_start = self.i;
        while let Some(a) = toks.get(self.i) {
            if a.kind != TokKind::Word || a.line_start {
                break;
            }
            self.i += 1;
        }
        let args = toks.get(args_start..self.i).unwrap_or(&[]);
        let mut block = None;
        if toks.get(self.i).is_some_and(|o| o.kind == TokKind::Open) {
            let start = self.i + 1;
            let mut depth = 1usize;
            let mut j = start;
            while let Some(t) = toks.get(j) {
                match t.kind {
                    TokKind::Open => depth += 1,
                    TokKind::Close => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    TokKind::Word => {}
                }
                j += 1;
            }
            block = Some(Block {
                toks: toks.get(start..j).unwrap_or(&[]),
            });
            self.i = j.saturating_add(1).min(toks.len());
        }
        Some(Stmt { kw, args, block })
    }
}

/// Checks the structure of the whole token list and returns it as the top-level block.
pub fn build<'t>(toks: &'t [Token<'t>]) -> PResult<Block<'t>> {
    // The keywords of the blocks open at this point, outermost first.
    let mut open: Vec<&Token<'t>> = Vec::new();
    let mut i = 0;
    // Bounded: every pass consumes at least one token or returns.
    loop {
        let Some(t) = toks.get(i) else {
            return match open.last() {
                Some(o) => perr(
                    o.pos,
                    format!(
                        "'{}' block is not closed: missing '}}' before end of file",
                        o.text
                    ),
                ),
                None => Ok(Block { toks }),
            };
        };
        match t.kind {
            TokKind::Close => {
                if open.pop().is_none() {
                    return perr(t.pos, "unexpected '}' (no block is open)");
                }
                i += 1;
            }
            TokKind::Open => return perr(t.pos, "unexpected '{' (no keyword before it)"),
            TokKind::Word => {
                let kw = t;
                i += 1;
                while let Some(a) = toks.get(i) {
                    if a.kind != TokKind::Word || a.line_start {
                        break;
                    }
                    i += 1;
                }
                if let Some(o) = toks.get(i) {
                    if o.kind == TokKind::Open {
                        if open.len() + 1 > MAX_NESTING {
                            return perr(
                                o.pos,
                                format!("blocks nested deeper than {} levels", MAX_NESTING),
                            );
                        }
                        i += 1;
                        open.push(kw);
                    }
                }
            }
        }
    }
}
