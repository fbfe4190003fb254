//! Statement tree: tokens -> `keyword args... [{ statements }]`, the shape every
//! keepalived.conf block has. A statement's arguments are the words on its logical line;
//! its block opens with `{` on the same line or at the start of the next one.
//!
//! `build` checks the structure in one pass over the tokens (the errors, and their order,
//! are those of a recursive descent: the first misplaced brace, too deep a nesting, or
//! the innermost block left open) and records the `}` matching each `{`; it allocates
//! that table and a stack of open blocks, no node per statement. A `Block` is then a
//! range of the tokens; iterating it yields its statements, each borrowing its keyword,
//! its arguments (consecutive tokens) and its own block's range, found in the table, so
//! walking the whole tree visits each token once.

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

/// The checked token list, with the index of the `}` matching each `{`.
pub struct Tree<'t> {
    toks: &'t [Token<'t>],
    /// For a `{` at index i, `close[i]` is the index of its `}`; 0 elsewhere.
    close: Vec<u32>,
}

impl Tree<'_> {
    /// The whole file as a block.
    pub fn root(&self) -> Block<'_> {
        Block {
            toks: self.toks,
            close: &self.close,
            start: 0,
            end: self.toks.len(),
        }
    }
}

/// The statements between a pair of braces (or of the whole file): tokens
/// `start..end` of the checked list.
#[derive(Clone, Copy, Debug)]
pub struct Block<'t> {
    toks: &'t [Token<'t>],
    close: &'t [u32],
    start: usize,
    end: usize,
}

impl<'t> Block<'t> {
    /// Where the block's `}` is (None for the whole file): keepalived names that line for
    /// what a block lacks (a checker without a url, a misc_path, a track_file).
    pub fn close_pos(&self) -> Option<crate::model::config::Pos> {
        self.toks.get(self.end).map(|t| t.pos)
    }

    /// Calls `f` on each statement in turn, stopping at its first error. For code size:
    /// the body of a keyword loop is then a function of its own (a `dyn` call), not a
    /// loop body, so LLVM does not hoist the address of every keyword literal out of the
    /// loop and spill it to the stack (about 1.5 KB per big keyword loop on MIPS).
    #[inline(never)]
    pub fn each(self, f: &mut dyn FnMut(&Stmt<'t>) -> PResult<()>) -> PResult<()> {
        for s in self {
            f(&s)?;
        }
        Ok(())
    }

    pub fn iter(&self) -> Stmts<'t> {
        Stmts {
            b: *self,
            i: self.start,
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
    b: Block<'t>,
    i: usize,
}

impl<'t> Iterator for Stmts<'t> {
    type Item = Stmt<'t>;

    // Out of line: each of the parser's dozen `for st in block` loops would otherwise
    // carry its own copy (about 1.5 KB each on MIPS).
    #[inline(never)]
    fn next(&mut self) -> Option<Stmt<'t>> {
        let b = self.b;
        if self.i >= b.end {
            return None;
        }
        let kw = b.toks.get(self.i)?;
        if kw.kind != TokKind::Word {
            // Not after `build`'s check; end rather than guess.
            self.i = b.end;
            return None;
        }
        self.i += 1;
        let args_start = self.i;
        while self.i < b.end {
            match b.toks.get(self.i) {
                Some(a) if a.kind == TokKind::Word && !a.line_start => self.i += 1,
                _ => break,
            }
        }
        let args = b.toks.get(args_start..self.i).unwrap_or(&[]);
        let mut block = None;
        if self.i < b.end && b.toks.get(self.i).is_some_and(|o| o.kind == TokKind::Open) {
            let close = b.close.get(self.i).map_or(b.end, |&c| c as usize);
            let close = close.clamp(self.i + 1, b.end);
            block = Some(Block {
                start: self.i + 1,
                end: close,
                ..b
            });
            self.i = close + 1;
        }
        Some(Stmt { kw, args, block })
    }
}

/// Checks the structure of the whole token list and pairs its braces.
pub fn build<'t>(toks: &'t [Token<'t>]) -> PResult<Tree<'t>> {
    let mut close = vec![0u32; toks.len()];
    // The keywords and `{` indices of the blocks open at this point, outermost first.
    let mut open: Vec<(&Token<'t>, usize)> = Vec::new();
    let mut i = 0;
    // Bounded: every pass consumes at least one token or returns.
    loop {
        let Some(t) = toks.get(i) else {
            return match open.last() {
                Some((o, _)) => perr(
                    o.pos,
                    format!(
                        "'{}' block is not closed: missing '}}' before end of file",
                        o.text
                    ),
                ),
                None => Ok(Tree { toks, close }),
            };
        };
        match t.kind {
            TokKind::Close => {
                let Some((_, at)) = open.pop() else {
                    return perr(t.pos, "unexpected '}' (no block is open)");
                };
                if let Some(c) = close.get_mut(at) {
                    *c = u32::try_from(i).unwrap_or(u32::MAX);
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
                        open.push((kw, i));
                        i += 1;
                    }
                }
            }
        }
    }
}
