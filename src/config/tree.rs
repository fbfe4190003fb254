//! Statement tree: tokens -> `keyword args... [{ statements }]`, the shape every
//! keepalived.conf block has. A statement's arguments are the words on its logical line;
//! its block opens with `{` on the same line or at the start of the next one.
//! Statements borrow the token slice (the arguments are consecutive tokens): building
//! the tree copies no token.

use crate::config::error::{perr, PResult};
use crate::config::lex::{TokKind, Token};

/// Blocks nested deeper than this are refused (keepalived's grammar needs 4).
pub const MAX_NESTING: usize = 16;

#[derive(Clone, Debug)]
pub struct Stmt<'t> {
    pub kw: &'t Token<'t>,
    pub args: &'t [Token<'t>],
    pub block: Option<Vec<Stmt<'t>>>,
}

pub fn build<'t>(tokens: &'t [Token<'t>]) -> PResult<Vec<Stmt<'t>>> {
    let mut i = 0;
    block(tokens, &mut i, 0, None)
}

fn block<'t>(
    toks: &'t [Token<'t>],
    i: &mut usize,
    depth: usize,
    opener: Option<&Token<'t>>,
) -> PResult<Vec<Stmt<'t>>> {
    let mut body = Vec::new();
    loop {
        let Some(t) = toks.get(*i) else {
            return match opener {
                Some(o) => perr(
                    o.pos,
                    format!(
                        "'{}' block is not closed: missing '}}' before end of file",
                        o.text
                    ),
                ),
                None => Ok(body),
            };
        };
        match t.kind {
            TokKind::Close => {
                if opener.is_some() {
                    *i += 1;
                    return Ok(body);
                }
                return perr(t.pos, "unexpected '}' (no block is open)");
            }
            TokKind::Open => return perr(t.pos, "unexpected '{' (no keyword before it)"),
            TokKind::Word => {
                let kw = t;
                *i += 1;
                let args_start = *i;
                while let Some(a) = toks.get(*i) {
                    if a.kind != TokKind::Word || a.line_start {
                        break;
                    }
                    *i += 1;
                }
                let args = toks.get(args_start..*i).unwrap_or(&[]);
                let mut sub = None;
                if let Some(o) = toks.get(*i) {
                    if o.kind == TokKind::Open {
                        if depth + 1 > MAX_NESTING {
                            return perr(
                                o.pos,
                                format!("blocks nested deeper than {} levels", MAX_NESTING),
                            );
                        }
                        *i += 1;
                        sub = Some(block(toks, i, depth + 1, Some(kw))?);
                    }
                }
                body.push(Stmt {
                    kw,
                    args,
                    block: sub,
                });
            }
        }
    }
}
