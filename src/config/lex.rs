//! Lexer: keepalived.conf text -> tokens with file/line/col, comments removed, `include`
//! expanded in place (glob, relative to the including file, bounded depth, cycles refused).
//!
//! Token rules follow keepalived's parser (lib/parser.c, read for behaviour): `#` and `!`
//! start a comment anywhere outside double quotes (`\#`, `\!` are literal); a `"` starts a
//! string that runs to the next unescaped `"` on the same line (the backslash is kept:
//! only script command lines interpret escapes); other words run to
//! whitespace or a `"`; a `\` as the last character joins the next line. We also split
//! `{` and `}` out of words, which keepalived only accepts as separate words.
//!
//! Cost: one pass over the bytes of each file, which are read once and kept in `Lexed`;
//! tokens are byte spans into them (`Lexed::tokens` lends them out as `&str`), so a word
//! allocates nothing unless it contains `\#` or `\!`. Every special character is ASCII,
//! so scanning bytes of UTF-8 text never splits a character; columns count characters.
//! The files' paths and bytes, in the order read, are hashed into `Lexed::fingerprint`:
//! the config is a function of exactly these (resolving reads nothing else), so equal
//! fingerprints mean an equal config.

use std::fs;
use std::hash::Hasher;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::config::error::{perr, PResult, Perr};
use crate::config::preprocess::{Feed, PLine, Preproc};
use crate::model::config::Pos;
use crate::model::limits::{MAX_CONFIG_FILES, MAX_CONFIG_FILE_BYTES, MAX_INCLUDE_DEPTH};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokKind {
    Word,
    Open,
    Close,
}

/// A token, borrowed from the sources kept in `Lexed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokKind,
    /// The word, quotes removed.
    pub text: &'a str,
    /// The source text of the word, quotes and backslashes kept (script splitting uses it).
    pub raw: &'a str,
    pub quoted: bool,
    /// The whitespace between the previous token on the line and this one (" " after a
    /// continuation), so that a script's command line can be rebuilt exactly.
    pub gap: &'a str,
    pub pos: Pos,
    /// First token of a logical line (a continued line is not a new line).
    pub line_start: bool,
}

/// Where a token's text is: its raw span, the raw span without the quotes, or an
/// unescaped copy in `Lexed::escaped`.
#[derive(Clone, Copy, Debug)]
enum Text {
    Raw,
    Quoted,
    Escaped(u32),
}

#[derive(Clone, Copy, Debug)]
enum Gap {
    None,
    Space,
    /// From this offset to the token's start.
    Src(u32),
}

/// A token as byte offsets into its file's source (40 bytes: a 57 000-line config has
/// ~150 000 tokens). Offsets fit u32: a file is at most MAX_CONFIG_FILE_BYTES.
#[derive(Clone, Copy, Debug)]
struct Span {
    kind: TokKind,
    start: u32,
    end: u32,
    text: Text,
    gap: Gap,
    pos: Pos,
    line_start: bool,
    /// 0: the offsets are into the file's source; n: into `Lexed::synth[n - 1]`.
    buf: u32,
}

/// A config read and tokenized: the files (index = `Pos::file`), their text, the tokens
/// and the warnings so far.
#[derive(Clone, Debug, Default)]
pub struct Lexed {
    pub files: Vec<PathBuf>,
    pub warnings: Vec<String>,
    /// Hash of every file's path and bytes in the order read (see the module comment).
    pub fingerprint: u64,
    /// References to undefined `$NAME`s the preprocessor left as written (for errors).
    pub undefined: Vec<(Pos, String)>,
    sources: Vec<String>,
    /// Lines the preprocessor made (substituted, repeated): tokens borrow from them.
    synth: Vec<String>,
    spans: Vec<Span>,
    escaped: Vec<String>,
}

impl Lexed {
    /// The tokens in order, borrowing their text from `self`.
    pub fn tokens(&self) -> Vec<Token<'_>> {
        let mut out = Vec::with_capacity(self.spans.len());
        for s in &self.spans {
            let src = match s.buf {
                0 => self.sources.get(usize::from(s.pos.file)),
                n => self.synth.get(n as usize - 1),
            }
            .map(String::as_str)
            .unwrap_or("");
            let (start, end) = (s.start as usize, s.end as usize);
            let raw = src.get(start..end).unwrap_or("");
            let text = match s.text {
                Text::Raw => raw,
                Text::Quoted => raw.get(1..raw.len().saturating_sub(1)).unwrap_or(""),
                Text::Escaped(i) => self
                    .escaped
                    .get(i as usize)
                    .map(String::as_str)
                    .unwrap_or(""),
            };
            let gap = match s.gap {
                Gap::None => "",
                Gap::Space => " ",
                Gap::Src(a) => src.get(a as usize..start).unwrap_or(""),
            };
            out.push(Token {
                kind: s.kind,
                text,
                raw,
                quoted: matches!(s.text, Text::Quoted),
                gap,
                pos: s.pos,
                line_start: s.line_start,
            });
        }
        out
    }
}

/// Entries scanned in one directory while expanding a glob.
const MAX_DIR_ENTRIES: usize = 65_536;

/// Lexes the file at `path`, following includes relative to its directory. `instance`
/// selects `@NAME` lines (None: the host name, as keepalived).
pub fn lex_file(path: &Path, instance: Option<&str>) -> Result<Lexed, (Vec<PathBuf>, Perr)> {
    let mut lx = Lexer::new(instance);
    let root = Pos {
        file: 0,
        line: 1,
        col: 1,
    };
    lx.add_file(path.to_path_buf());
    let res = read_limited(path)
        .map_err(|m| Perr::new(root, m))
        .and_then(|src| {
            let canon = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            lx.stack.push(canon);
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            lx.lex_source(0, src, &base)
        });
    match res {
        Ok(()) => Ok(lx.finish()),
        Err(e) => Err((lx.lexed.files, e)),
    }
}

/// Lexes `src` named `name`; includes are relative to the current directory.
pub fn lex_str(
    name: &str,
    src: &str,
    instance: Option<&str>,
) -> Result<Lexed, (Vec<PathBuf>, Perr)> {
    let mut lx = Lexer::new(instance);
    lx.add_file(PathBuf::from(name));
    let root = std::env::current_dir()
        .map(|d| d.join(name))
        .ok()
        .and_then(|p| fs::canonicalize(p).ok())
        .unwrap_or_else(|| PathBuf::from(name));
    lx.stack.push(root);
    let res = if src.len() > MAX_CONFIG_FILE_BYTES {
        perr(
            Pos {
                file: 0,
                line: 1,
                col: 1,
            },
            format!(
                "file is larger than MAX_CONFIG_FILE_BYTES ({} bytes)",
                MAX_CONFIG_FILE_BYTES
            ),
        )
    } else {
        lx.lex_source(0, src.to_string(), Path::new(""))
    };
    match res {
        Ok(()) => Ok(lx.finish()),
        Err(e) => Err((lx.lexed.files, e)),
    }
}

fn read_limited(path: &Path) -> Result<String, String> {
    let mut f = fs::File::open(path).map_err(|e| format!("cannot read config file: {}", e))?;
    // Sized from the file's length so that the buffer never grows (a file growing
    // meanwhile still reads correctly).
    let len = f.metadata().map_or(0, |m| m.len());
    let mut buf =
        Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(MAX_CONFIG_FILE_BYTES) + 1);
    crate::read_whole::append(
        &mut |b| f.read(b),
        MAX_CONFIG_FILE_BYTES as u64 + 1,
        &mut buf,
    )
    .map_err(|e| format!("cannot read config file: {}", e))?;
    if buf.len() > MAX_CONFIG_FILE_BYTES {
        return Err(format!(
            "file is larger than MAX_CONFIG_FILE_BYTES ({} bytes)",
            MAX_CONFIG_FILE_BYTES
        ));
    }
    String::from_utf8(buf).map_err(|e| {
        format!(
            "file is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

struct Lexer {
    lexed: Lexed,
    /// Canonical paths of the files being read, outermost first (cycle detection).
    stack: Vec<PathBuf>,
    hash: Fingerprint,
    pre: Preproc,
}

/// The hash behind `Lexed::fingerprint`, one multiply per 8 bytes (FxHash's step: rotate,
/// xor the word, multiply by an odd constant). For a given word each step is a bijection
/// of the state, so inputs that differ in one word always hash differently; each `write`
/// also mixes in its length, so consecutive writes cannot be regrouped. It detects edits,
/// not attacks: whoever can write the config decides what lvsmon runs anyway.
#[derive(Default)]
struct Fingerprint(u64);

impl Fingerprint {
    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        self.word(u64::from_le_bytes(w));
        self.word(bytes.len() as u64);
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r' || c == '\x0b' || c == '\x0c'
}

fn is_space_b(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\r' || c == b'\x0b' || c == b'\x0c'
}

/// The include keywords keepalived accepts (`include` and its checked variants).
fn include_kind(word: &str) -> Option<char> {
    match word {
        "include" => Some(' '),
        "includer" => Some('r'),
        "includem" => Some('m'),
        "includew" => Some('w'),
        "includeb" => Some('b'),
        "includea" => Some('a'),
        _ => None,
    }
}

/// Byte classes for the scanning loops (every byte with a meaning is ASCII).
const WORD: u8 = 0;
const SPACE: u8 = 1;
const SPECIAL: u8 = 2;
const HIGH: u8 = 3;

static CLASS: [u8; 256] = {
    let mut t = [WORD; 256];
    let mut c = 0x80;
    while c < 256 {
        t[c] = HIGH;
        c += 1;
    }
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[0x0b] = SPACE;
    t[0x0c] = SPACE;
    t[b'\n' as usize] = SPECIAL;
    t[b'#' as usize] = SPECIAL;
    t[b'!' as usize] = SPECIAL;
    t[b'{' as usize] = SPECIAL;
    t[b'}' as usize] = SPECIAL;
    t[b'"' as usize] = SPECIAL;
    t[b'\\' as usize] = SPECIAL;
    t
};

fn class(c: u8) -> u8 {
    CLASS[usize::from(c)]
}

/// Columns of one line. While the line has been ASCII so far a column is one more than
/// the byte offset; after a non-ASCII byte characters are counted, incrementally, so that
/// a line is walked once however many tokens it holds.
struct Cols<'s> {
    src: &'s str,
    line_start: usize,
    ascii: bool,
    byte: usize,
    col: u32,
}

impl Cols<'_> {
    fn at(&mut self, i: usize) -> u32 {
        if self.ascii {
            return u32::try_from(i - self.line_start + 1).unwrap_or(u32::MAX);
        }
        if i > self.byte {
            let n = self.src.get(self.byte..i).map_or(0, |s| s.chars().count());
            self.col = self
                .col
                .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
            self.byte = i;
        }
        self.col
    }
}

const _: () = assert!(MAX_CONFIG_FILE_BYTES < u32::MAX as usize);

/// A byte offset (or count) within one file, as stored in a `Span`.
fn off32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The first index at or after `i` that is not a space (or the end). Indentation comes in
/// runs of spaces, so eight at a time are skipped while they are all `' '`.
#[inline]
fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if u64::from_ne_bytes(w) != u64::from_ne_bytes([b' '; 8]) {
            break;
        }
        i += 8;
    }
    while i < b.len() && class(b[i]) == SPACE {
        i += 1;
    }
    i
}

/// The index of the `\n` ending the line that holds `i` (or the end of the text).
fn line_end(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
        .map_or(b.len(), |k| i + k)
}

impl Lexer {
    fn new(instance: Option<&str>) -> Lexer {
        Lexer {
            lexed: Lexed::default(),
            stack: Vec::new(),
            hash: Fingerprint::default(),
            pre: Preproc::new(instance.map(str::to_string)),
        }
    }

    fn add_file(&mut self, path: PathBuf) {
        self.lexed.files.push(path);
        // Filled once the file has been lexed (its includes come after it in the list).
        self.lexed.sources.push(String::new());
    }

    fn finish(mut self) -> Lexed {
        self.lexed.fingerprint = self.hash.finish();
        self.lexed.undefined = std::mem::take(&mut self.pre.undefined);
        self.lexed
    }

    /// Lexes one file's text, line by line in one pass (lines are split as `str::split`
    /// on `\n` would: n newlines make n + 1 lines).
    fn lex_source(&mut self, file: u16, src: String, base: &Path) -> PResult<()> {
        if let Some(p) = self.lexed.files.get(usize::from(file)) {
            self.hash.write(p.as_os_str().as_encoded_bytes());
        }
        self.hash.write(src.as_bytes());
        // A token takes at least two bytes (itself and a separator); most take more.
        self.lexed.spans.reserve(src.len() / 4);
        let b = src.as_bytes();
        let n = b.len();
        let mut cont = false;
        let mut i = 0usize;
        let mut line_no: u32 = 1;
        self.pre.set_dir(base);
        // Each pass handles one physical line starting at i; bounded: i grows each time.
        while i <= n {
            // Leading spaces, skipped once for the include check and the line itself.
            let mut k = skip_spaces(b, i);
            if !cont {
                let le = line_end(b, i);
                let line = src.get(i..le).unwrap_or("");
                match self
                    .pre
                    .feed(file, line_no, line.trim_end_matches('\r'), k - i)?
                {
                    // After an `@NAME` prefix, the line's own bytes.
                    Feed::Keep(from) => k = i + from,
                    Feed::Out(out) => {
                        if let Some(p) = out {
                            self.emit(p, base)?;
                        }
                        while let Some(p) = self.pre.next()? {
                            self.emit(p, base)?;
                        }
                        i = le + 1;
                        line_no = line_no.saturating_add(1);
                        continue;
                    }
                }
            }
            if !cont && k < n && b[k] == b'i' {
                let le = line_end(b, i);
                let line = src.get(k..le).unwrap_or("");
                if let Some((kind, _, rest)) = include_head(line) {
                    let col = src.get(i..k).map_or(1, |s| s.chars().count() + 1);
                    let pos = Pos {
                        file,
                        line: line_no,
                        col: u32::try_from(col).unwrap_or(u32::MAX),
                    };
                    let pattern = include_pattern(rest);
                    self.include(pos, kind, &pattern, base)?;
                    self.pre.set_dir(base);
                    i = le + 1;
                    line_no = line_no.saturating_add(1);
                    continue;
                }
            }
            let (c, le) = self.lex_line(file, line_no, &src, i, k, !cont)?;
            cont = c;
            i = le + 1;
            line_no = line_no.saturating_add(1);
        }
        if let Some(s) = self.lexed.sources.get_mut(usize::from(file)) {
            *s = src;
        }
        Ok(())
    }

    /// Lexes a line the preprocessor made: an include, or tokens borrowing from a copy of
    /// the line kept in `Lexed::synth`, positioned where their text came from.
    fn emit(&mut self, mut p: PLine, base: &Path) -> PResult<()> {
        if let Some((kind, _, rest)) = include_head(&p.text) {
            let pattern = include_pattern(rest);
            // The included file's lines come before the next generated line.
            let gens = self.pre.take_gens();
            let r = self.include(p.pos(0), kind, &pattern, base);
            self.pre.restore_gens(gens);
            self.pre.set_dir(base);
            return r;
        }
        p.escape_comment_chars();
        let before = self.lexed.spans.len();
        let buf = off32(self.lexed.synth.len() + 1);
        let res = self.lex_line(p.file, p.line, &p.text, 0, 0, true);
        if let Err(mut e) = res {
            e.pos = p.pos(e.pos.col.saturating_sub(1) as usize);
            return Err(e);
        }
        for s in self.lexed.spans.iter_mut().skip(before) {
            s.buf = buf;
            s.pos = p.pos(s.start as usize);
        }
        self.lexed.synth.push(p.text);
        Ok(())
    }

    /// Tokenizes the physical line starting at byte `ls` of `src`, whose bytes before
    /// `from` are spaces; returns whether it ends
    /// in a continuation `\`, and the index of its end (its `\n`, or the end of the text).
    fn lex_line(
        &mut self,
        file: u16,
        line_no: u32,
        src: &str,
        ls: usize,
        from: usize,
        mut first: bool,
    ) -> PResult<(bool, usize)> {
        let b = src.as_bytes();
        let n = b.len();
        // Everything before `from` is spaces.
        let mut i = from.max(ls);
        let mut last_end: Option<usize> = None;
        let mut cols = Cols {
            src,
            line_start: ls,
            ascii: true,
            byte: ls,
            col: 1,
        };
        // Bounded: every pass consumes at least one byte or returns.
        loop {
            i = skip_spaces(b, i);
            if i >= n || b[i] == b'\n' {
                return Ok((false, i));
            }
            let c = b[i];
            let pos = Pos {
                file,
                line: line_no,
                col: cols.at(i),
            };
            let gap = match last_end {
                Some(e) => Gap::Src(off32(e)),
                None if first => Gap::None,
                None => Gap::Space,
            };
            let mut span = Span {
                kind: TokKind::Word,
                start: off32(i),
                end: off32(i + 1),
                text: Text::Raw,
                gap,
                pos,
                line_start: first,
                buf: 0,
            };
            match c {
                b'#' | b'!' => return Ok((false, line_end(b, i))),
                b'{' | b'}' => {
                    span.kind = if c == b'{' {
                        TokKind::Open
                    } else {
                        TokKind::Close
                    };
                    self.lexed.spans.push(span);
                    i += 1;
                }
                b'"' => {
                    // keepalived's decomment() skips the character after a `\`, so `\"`
                    // does not end the string (script command lines rely on it). The
                    // string ends with its line.
                    let mut j = i + 1;
                    let mut close = None;
                    while j < n {
                        match b[j] {
                            b'\\' => {
                                if j + 1 < n && b[j + 1] != b'\n' {
                                    if b[j + 1] >= 0x80 {
                                        cols.ascii = false;
                                    }
                                    j += 2;
                                } else {
                                    break;
                                }
                            }
                            b'"' => {
                                close = Some(j);
                                break;
                            }
                            b'\n' => break,
                            ch => {
                                if ch >= 0x80 {
                                    cols.ascii = false;
                                }
                                j += 1;
                            }
                        }
                    }
                    let Some(end) = close else {
                        return perr(pos, "unterminated quoted string (missing closing '\"')");
                    };
                    span.end = off32(end + 1);
                    span.text = Text::Quoted;
                    self.lexed.spans.push(span);
                    i = end + 1;
                }
                b'\\' if i + 1 == n || b[i + 1] == b'\n' => return Ok((true, i + 1)),
                _ => {
                    let start = i;
                    let mut cont = false;
                    let mut comment = false;
                    // Unescaped text, only when the word holds `\#` or `\!`.
                    let mut escaped: Option<String> = None;
                    let mut seg = start;
                    while i < n {
                        let ch = b[i];
                        match class(ch) {
                            WORD => {
                                i += 1;
                                continue;
                            }
                            HIGH => {
                                cols.ascii = false;
                                i += 1;
                                continue;
                            }
                            SPACE => break,
                            _ => {}
                        }
                        match ch {
                            b'#' | b'!' => {
                                comment = true;
                                break;
                            }
                            b'\\' => {
                                if i + 1 == n || b[i + 1] == b'\n' {
                                    cont = true;
                                    break;
                                }
                                let next = b[i + 1];
                                if next == b'#' || next == b'!' {
                                    let s = escaped.get_or_insert_with(String::new);
                                    s.push_str(src.get(seg..i).unwrap_or(""));
                                    s.push(char::from(next));
                                    i += 2;
                                    seg = i;
                                } else {
                                    i += 1;
                                }
                            }
                            // `\n`, `"`, `{`, `}` end the word.
                            _ => break,
                        }
                    }
                    if i > start {
                        span.end = off32(i);
                        if let Some(mut s) = escaped {
                            s.push_str(src.get(seg..i).unwrap_or(""));
                            span.text = Text::Escaped(off32(self.lexed.escaped.len()));
                            self.lexed.escaped.push(s);
                        }
                        self.lexed.spans.push(span);
                    }
                    if comment {
                        return Ok((false, line_end(b, i)));
                    }
                    if cont {
                        return Ok((true, i + 1));
                    }
                }
            }
            first = false;
            last_end = Some(i);
        }
    }

    fn include(&mut self, pos: Pos, kind: char, pattern: &str, base: &Path) -> PResult<()> {
        if pattern.is_empty() {
            return perr(pos, "'include' needs a file name or glob pattern");
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            return perr(
                pos,
                format!(
                    "include nested deeper than MAX_INCLUDE_DEPTH ({}) at '{}'",
                    MAX_INCLUDE_DEPTH, pattern
                ),
            );
        }
        let full = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            base.join(pattern)
        };
        let wild = has_wildcard(pattern);
        let paths = if wild {
            glob(&full).map_err(|m| Perr::new(pos, m))?
        } else {
            if !full.exists() {
                return perr(pos, format!("include file '{}' not found", full.display()));
            }
            vec![full.clone()]
        };
        if paths.is_empty() {
            let msg = format!("include '{}' matched no files", full.display());
            if kind == 'w' || kind == 'a' {
                return perr(pos, msg);
            }
            let at = crate::config::error::fmt_pos(&self.lexed.files, pos);
            self.lexed.warnings.push(format!("{}: {}", at, msg));
            // An include that matched nothing is part of what was read: a file appearing
            // later changes the config.
            self.hash.write(full.as_os_str().as_encoded_bytes());
            self.hash.write_u8(0xff);
            return Ok(());
        }
        for path in paths {
            let canon = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if let Some(i) = self.stack.iter().position(|p| *p == canon) {
                // Appended in place (the lossy text is what `display` shows), not collected
                // and joined: 0.6 KB less code.
                let mut msg = String::from("include cycle: ");
                for p in &self.stack[i..] {
                    msg.push_str(&p.to_string_lossy());
                    msg.push_str(" -> ");
                }
                msg.push_str(&canon.to_string_lossy());
                return perr(pos, msg);
            }
            if self.lexed.files.len() >= MAX_CONFIG_FILES {
                return perr(
                    pos,
                    format!(
                        "more than MAX_CONFIG_FILES ({}) config files included",
                        MAX_CONFIG_FILES
                    ),
                );
            }
            let meta = fs::metadata(&path);
            if meta.as_ref().map(|m| m.is_dir()).unwrap_or(false) {
                return perr(pos, format!("include '{}' is a directory", path.display()));
            }
            let src = read_limited(&path)
                .map_err(|m| Perr::new(pos, format!("include '{}': {}", path.display(), m)))?;
            let idx = u16::try_from(self.lexed.files.len()).unwrap_or(u16::MAX);
            self.add_file(path.clone());
            self.stack.push(canon);
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            self.lex_source(idx, src, &dir)?;
            self.stack.pop();
        }
        Ok(())
    }
}

/// If the line starts with an include keyword, returns (kind, keyword column, the rest of
/// the line after it).
fn include_head(line: &str) -> Option<(char, u32, &str)> {
    let b = line.as_bytes();
    let start = b.iter().position(|&c| !is_space_b(c))?;
    // Cheap rejection: every statement line passes here.
    if b.get(start) != Some(&b'i') {
        return None;
    }
    let mut end = start;
    while end < b.len() && !is_space_b(b[end]) {
        end += 1;
    }
    let kind = include_kind(line.get(start..end)?)?;
    // Only spaces (ASCII) precede the keyword, so its byte offset is its column - 1.
    Some((
        kind,
        u32::try_from(start + 1).unwrap_or(u32::MAX),
        line.get(end..)?,
    ))
}

/// The rest of an include line: comment removed, trimmed, surrounding quotes removed.
fn include_pattern(rest: &str) -> String {
    let rest: Vec<char> = rest.chars().collect();
    let mut out = String::new();
    let mut quote = false;
    let mut i = 0;
    while i < rest.len() {
        let c = rest[i];
        if c == '"' {
            quote = !quote;
        } else if !quote && (c == '#' || c == '!') {
            break;
        } else if !quote
            && c == '\\'
            && i + 1 < rest.len()
            && (rest[i + 1] == '#' || rest[i + 1] == '!')
        {
            out.push(rest[i + 1]);
            i += 2;
            continue;
        }
        if c != '"' {
            out.push(c);
        }
        i += 1;
    }
    out.trim_matches(is_space).to_string()
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expands a glob pattern whose wildcards (`*`, `?`, `[...]`) may be in any component.
/// Returns matching regular files, sorted, as glob(3) does; names starting with `.` are
/// matched only by a pattern component starting with `.`.
pub fn glob(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let mut cands: Vec<PathBuf> = vec![PathBuf::new()];
    for comp in pattern.components() {
        let part = match comp {
            Component::Normal(s) => s.to_string_lossy().into_owned(),
            other => {
                for c in cands.iter_mut() {
                    c.push(other.as_os_str());
                }
                continue;
            }
        };
        if !has_wildcard(&part) {
            for c in cands.iter_mut() {
                c.push(&part);
            }
            continue;
        }
        let pat: Vec<char> = part.chars().collect();
        let mut next = Vec::new();
        for dir in &cands {
            let read_from = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(rd) = fs::read_dir(read_from) else {
                continue;
            };
            let mut names = Vec::new();
            for (n, ent) in rd.enumerate() {
                if n >= MAX_DIR_ENTRIES {
                    return Err(format!(
                        "include glob: directory '{}' has more than {} entries",
                        read_from.display(),
                        MAX_DIR_ENTRIES
                    ));
                }
                let Ok(ent) = ent else { continue };
                let name = ent.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && !part.starts_with('.') {
                    continue;
                }
                let name_chars: Vec<char> = name.chars().collect();
                if glob_match(&pat, &name_chars) {
                    names.push(name);
                }
            }
            for name in names {
                next.push(dir.join(name));
                if next.len() > MAX_CONFIG_FILES {
                    return Err(format!(
                        "include glob matches more than MAX_CONFIG_FILES ({}) paths",
                        MAX_CONFIG_FILES
                    ));
                }
            }
        }
        // Sorted as paths, not each directory's names as strings: the same order (the
        // candidates differ only in the names matched), one sort's code less (0.6 KB);
        // unstable, as the paths are distinct (the same sort as the one below).
        next.sort_unstable();
        cands = next;
    }
    cands.retain(|p| p.is_file());
    // Unstable, for code size: every path is a distinct directory + name.
    cands.sort_unstable();
    Ok(cands)
}

/// fnmatch-style match of one path component: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`/`[^x]`.
/// Linear backtracking over the last `*` keeps it O(len(pat) * len(name)).
pub fn glob_match(pat: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() {
            match pat[p] {
                '*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                '?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next_p)) = class_match(pat, p, name[n]) {
                        if matched {
                            p = next_p;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == '[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                c => {
                    if c == name[n] {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp + 1;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    while p < pat.len() && pat[p] == '*' {
        p += 1;
    }
    p == pat.len()
}

/// Matches `c` against the bracket class starting at `pat[start] == '['`.
/// Returns None when the class is not terminated (then `[` is literal).
fn class_match(pat: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = i < pat.len() && (pat[i] == '!' || pat[i] == '^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pat.len() {
        if pat[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < pat.len() && pat[i + 1] == '-' && pat[i + 2] != ']' {
            if pat[i] <= c && c <= pat[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if pat[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<(String, u32, u32, bool)> {
        lex_str("t.conf", src, None)
            .unwrap()
            .tokens()
            .into_iter()
            .map(|t| (t.text.to_string(), t.pos.line, t.pos.col, t.line_start))
            .collect()
    }

    #[test]
    fn tokens_positions_comments_quotes() {
        let got = words("a b # c\n  \"x y\" z!q\n{w}\n");
        let want: Vec<(String, u32, u32, bool)> = vec![
            ("a".into(), 1, 1, true),
            ("b".into(), 1, 3, false),
            ("x y".into(), 2, 3, true),
            ("z".into(), 2, 9, false),
            ("{".into(), 3, 1, true),
            ("w".into(), 3, 2, false),
            ("}".into(), 3, 3, false),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn escaped_comment_chars_and_continuation() {
        let got = words("a\\#b c \\\n d\n");
        assert_eq!(
            got,
            vec![
                ("a#b".to_string(), 1, 1, true),
                ("c".to_string(), 1, 6, false),
                ("d".to_string(), 2, 2, false),
            ]
        );
    }

    #[test]
    fn columns_count_characters_and_lines_end_at_newline_only() {
        let got = words("\u{e9}t\u{e9} x \"\u{e9}\" y\r\nz\\\n w");
        assert_eq!(
            got,
            vec![
                ("\u{e9}t\u{e9}".to_string(), 1, 1, true),
                ("x".to_string(), 1, 5, false),
                ("\u{e9}".to_string(), 1, 7, false),
                ("y".to_string(), 1, 11, false),
                ("z".to_string(), 2, 1, true),
                ("w".to_string(), 3, 2, false),
            ]
        );
        // A quoted string does not run past its line, even after a backslash.
        let (files, e) = lex_str("t.conf", "a \"b\\\nc\"\n", None).unwrap_err();
        assert_eq!(
            e.into_config_error(&files).to_string(),
            "t.conf:1:3: unterminated quoted string (missing closing '\"')"
        );
    }

    #[test]
    fn quote_inside_word_splits() {
        let got: Vec<String> = words("abc\"d e\"f").into_iter().map(|w| w.0).collect();
        assert_eq!(got, vec!["abc", "d e", "f"]);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let (files, e) = lex_str("t.conf", "a\n  b \"cd\n", None).unwrap_err();
        assert_eq!(
            e.into_config_error(&files).to_string(),
            "t.conf:2:5: unterminated quoted string (missing closing '\"')"
        );
    }

    #[test]
    fn glob_lists_matches_in_byte_order_level_by_level() {
        let root = std::env::temp_dir().join(format!("lvsmon-glob-{}", std::process::id()));
        for d in ["d2", "d10", "d1", "x"] {
            fs::create_dir_all(root.join(d)).unwrap();
            for f in ["b.conf", "a.conf", "B.conf", ".h.conf", "c.txt"] {
                fs::write(root.join(d).join(f), "").unwrap();
            }
        }
        let got = glob(&root.join("d*").join("*.conf")).unwrap();
        let mut want = Vec::new();
        for d in ["d1", "d10", "d2"] {
            for f in ["B.conf", "a.conf", "b.conf"] {
                want.push(root.join(d).join(f));
            }
        }
        fs::remove_dir_all(&root).unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn glob_matching() {
        let m = |p: &str, n: &str| {
            glob_match(
                &p.chars().collect::<Vec<_>>(),
                &n.chars().collect::<Vec<_>>(),
            )
        };
        assert!(m("*.conf", "a.conf"));
        assert!(!m("*.conf", "a.con"));
        assert!(m("a?c", "abc"));
        assert!(m("[ab]x", "bx"));
        assert!(!m("[!ab]x", "bx"));
        assert!(m("[a-c]*", "c-file"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b*", "xxbxxaxx"));
        assert!(m("[x", "[x"));
        assert!(m("*", ""));
    }
}
