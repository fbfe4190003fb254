//! keepalived's config preprocessor (keepalived.conf(5), "Conditional configuration" and
//! "Parameter substitution"), line by line, before the lexer tokenizes a line:
//!
//! - `@NAME rest` keeps `rest` only when NAME is the instance name (`-i`, else the host
//!   name up to its first `.`, as keepalived's config-id); `@^NAME rest` only when it is
//!   not. `@NAME` alone on a line is dropped.
//! - `$NAME=value` defines NAME (redefining is allowed, also of the predefined `_PWD`,
//!   `_INSTANCE`, `_RANDOM`, `_HASH`, `_BANG`); a value ending in `\` continues on the
//!   following lines (a multi-line definition) until a line without `\` or an empty line.
//! - `$NAME` followed by a space, a tab, `,`, `)` or the end of the line, and `${NAME}`
//!   anywhere, are replaced by the value when the line is used (so a value may refer to
//!   names defined later, and a replaced value is scanned again: definitions nest). A
//!   multi-line value is only replaced where the reference ends the line; its first line
//!   takes the reference's place and the others follow as lines of their own. An
//!   undefined name stays as written, as keepalived leaves it (shell variables in script
//!   command lines rely on that); a value that then fails to parse says the name is not
//!   defined (`Preproc::undefined`).
//! - `~SEQ(VAR, [START,] [STEP,] END) rest` repeats `rest` with VAR defined to each value
//!   in turn (`~SEQx` prints them in hex); sequences nest, LIFO, as keepalived's do.
//!
//! The rules are keepalived 2.2.7's lib/parser.c (read_line, replace_param,
//! find_definition, check_definition, add_seq), read for behaviour. Where keepalived has
//! no bound (a self-referring definition loops forever; a ~SEQ over the whole range of a
//! long runs for ages) we stop with a positioned error instead: MAX_REPLACEMENTS per
//! line, MAX_LINE_BYTES per substituted line, MAX_SEQ_VALUES per ~SEQ and
//! MAX_CONFIG_FILE_BYTES of generated text per load. keepalived's `~LST` is refused by
//! name.
//!
//! Positions: every byte of a line carries the column it came from in the original file
//! (`PLine::cols`); text put in by a substitution carries the column of its `$`, and the
//! lines of a multi-line value or a ~SEQ carry the line of the reference or the `~SEQ`.
//! Lines without `@`, `$` or `~` (nearly all) cost one scan for `$` and are lexed from
//! the file's own bytes (`Feed::Keep`).

use std::path::{Path, PathBuf};

use crate::config::error::{perr, PResult, Perr};
use crate::model::config::Pos;
use crate::model::limits::{
    MAX_CONFIG_FILE_BYTES, MAX_LINE_BYTES, MAX_REPLACEMENTS, MAX_SEQ_VALUES,
};

/// A line being preprocessed: its text, and for each byte the column it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct PLine {
    pub text: String,
    pub cols: Vec<u32>,
    pub file: u16,
    pub line: u32,
}

impl PLine {
    /// `text` is the part of a physical line that starts at column `col`.
    fn new(text: &str, col: u32, file: u16, line: u32) -> PLine {
        let mut cols = Vec::with_capacity(text.len());
        let mut c = col;
        for ch in text.chars() {
            for _ in 0..ch.len_utf8() {
                cols.push(c);
            }
            c = c.saturating_add(1);
        }
        PLine {
            text: text.to_string(),
            cols,
            file,
            line,
        }
    }

    /// Text that all comes from one column (a value replacing a reference, or a line
    /// of a multi-line value).
    fn at(text: &str, col: u32, file: u16, line: u32) -> PLine {
        PLine {
            text: text.to_string(),
            cols: vec![col; text.len()],
            file,
            line,
        }
    }

    /// The position of byte `i` (the end of the line for `i` past it).
    pub fn pos(&self, i: usize) -> Pos {
        let col = match self.cols.get(i) {
            Some(&c) => c,
            None => self.cols.last().map_or(1, |c| c.saturating_add(1)),
        };
        Pos {
            file: self.file,
            line: self.line,
            col,
        }
    }

    fn remove(&mut self, start: usize, end: usize) {
        self.text.replace_range(start..end, "");
        self.cols.drain(start..end);
    }

    fn replace(&mut self, start: usize, end: usize, with: &str, col: u32) {
        self.text.replace_range(start..end, with);
        // Built anew, not with Vec::splice (its code and drop glue: 0.6 KB).
        let mut cols = Vec::with_capacity(self.cols.len() - (end - start) + with.len());
        cols.extend_from_slice(&self.cols[..start]);
        cols.resize(start + with.len(), col);
        cols.extend_from_slice(&self.cols[end..]);
        self.cols = cols;
    }

    /// keepalived's decomment(): leading blanks, a comment (`#` or `!` outside double
    /// quotes) and trailing blanks removed, `\#` and `\!` outside quotes unescaped; a
    /// final `\` is kept, right after the text.
    fn decomment(&mut self) {
        let lead = self.text.len() - self.text.trim_start_matches([' ', '\t']).len();
        self.remove(0, lead);
        let mut quote = false;
        let mut cont = false;
        let mut cut = None;
        let mut i = 0;
        // Bounded: i grows each pass (or the text shrinks by one byte and i grows).
        while i < self.text.len() {
            let b = self.text.as_bytes()[i];
            match b {
                b'"' if cut.is_none() => quote = !quote,
                b'\\' => match self.text.as_bytes().get(i + 1) {
                    None => {
                        cont = true;
                        self.remove(i, i + 1);
                        break;
                    }
                    Some(b'#' | b'!') if !quote => {
                        self.remove(i, i + 1);
                    }
                    Some(_) => i += 1,
                },
                b'#' | b'!' if !quote && cut.is_none() => cut = Some(i),
                _ => {}
            }
            i += 1;
        }
        if let Some(c) = cut {
            let len = self.text.len();
            self.remove(c, len);
        }
        let keep = self.text.trim_end_matches([' ', '\t']).len();
        let len = self.text.len();
        self.remove(keep, len);
        if cont {
            let col = self.cols.last().map_or(1, |c| c.saturating_add(1));
            self.text.push('\\');
            self.cols.push(col);
        }
    }

    /// The lexer treats `#` and `!` as comments, keepalived does not once decomment() has
    /// run: escape them (outside quotes) so that the lexer reads them as text.
    pub fn escape_comment_chars(&mut self) {
        let mut quote = false;
        let mut i = 0;
        while i < self.text.len() {
            match self.text.as_bytes()[i] {
                b'"' => quote = !quote,
                b'\\' => i += 1,
                b'#' | b'!' if !quote => {
                    let col = self.cols[i];
                    self.text.insert(i, '\\');
                    self.cols.insert(i, col);
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// What the lexer does with a physical line of a file.
#[derive(Debug, PartialEq)]
pub enum Feed {
    /// Lex the line's own bytes from this offset on (after an `@NAME` prefix).
    Keep(usize),
    /// Lex this line instead (if any), then every line `Preproc::next` gives.
    Out(Option<PLine>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Std {
    Pwd,
    Instance,
    Random,
}

#[derive(Clone, Debug)]
struct Def {
    name: String,
    value: String,
    /// The value has lines (separated by `\n`).
    multiline: bool,
    /// A predefined name whose value is computed when used.
    std: Option<Std>,
}

/// A source of lines that are not read from a file.
#[derive(Clone, Debug)]
pub enum Gen {
    Seq {
        var: String,
        next: i64,
        step: i64,
        /// Values still to produce.
        left: u64,
        hex: bool,
        text: PLine,
    },
    /// The remaining lines of a multi-line value, and where its reference was.
    Lines {
        lines: Vec<String>,
        next: usize,
        at: Pos,
    },
}

/// The preprocessor's state for one load: definitions (global across included files, as
/// keepalived's), the pending multi-line definition, and the generators.
#[derive(Debug)]
pub struct Preproc {
    instance: Option<String>,
    defs: Vec<Def>,
    /// The definition receiving the lines of a multi-line value.
    open_def: Option<usize>,
    gens: Vec<Gen>,
    /// The directory of the file being read (`$_PWD`).
    pwd: PathBuf,
    generated: usize,
    /// Set by a replacement: the line is not the file's text any more.
    substituted: bool,
    /// References to names that were not defined when the line was used, for errors.
    pub undefined: Vec<(Pos, String)>,
}

/// The host name up to its first `.`: keepalived's default config-id.
pub fn host_instance() -> Option<String> {
    let h =
        crate::read_whole::file_string(Path::new("/proc/sys/kernel/hostname"), u64::MAX).ok()?;
    let h = h.trim();
    let first = h.split('.').next().unwrap_or("");
    (!first.is_empty()).then(|| first.to_string())
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A reference at a `$`: where it ends (exclusive), the name, and the parameters of
/// `${NAME params}`.
struct Ref<'a> {
    end: usize,
    name: &'a str,
    params: Option<&'a str>,
    at_end: bool,
}

/// Parses the reference starting at `text[dollar] == '$'` (find_definition's syntax).
fn reference(text: &str, dollar: usize) -> Option<Ref<'_>> {
    let b = text.as_bytes();
    let braces = b.get(dollar + 1) == Some(&b'{');
    let start = dollar + 1 + usize::from(braces);
    if !b.get(start).copied().is_some_and(is_name_start) {
        return None;
    }
    let mut p = start + 1;
    while p < b.len() && is_name(b[p]) {
        p += 1;
    }
    let name = text.get(start..p)?;
    if braces {
        let pstart = p;
        while p < b.len() && (b[p] == b' ' || b[p].is_ascii_digit()) {
            p += 1;
        }
        let params = text.get(pstart..p)?.trim_start_matches(' ');
        if !params.is_empty() && text.as_bytes()[p - 1] == b' ' {
            return None;
        }
        if b.get(p) != Some(&b'}') {
            return None;
        }
        Some(Ref {
            end: p + 1,
            name,
            params: (!params.is_empty()).then_some(params),
            at_end: p + 1 == b.len(),
        })
    } else {
        match b.get(p) {
            None | Some(b' ' | b'\t' | b',' | b')') => Some(Ref {
                end: p,
                name,
                params: None,
                at_end: p == b.len(),
            }),
            _ => None,
        }
    }
}

/// 64 random bits for `${_RANDOM}`: from the kernel's /dev/urandom (std's RandomState
/// and its SipHash cost ~2 KB of code), or, should it be unreadable, from the clock and
/// the process id.
fn random_u64() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            t ^ u64::from(crate::sys::process::getpid()).rotate_left(32)
        }
    }
}

/// C's strtol(s, &end, 0) on a whole field: optional sign, `0x` hex, leading-`0` octal,
/// decimal; an empty field is 0 (keepalived's "missing number"). None when the digits do
/// not fit an i64 or are not digits of the base.
fn strtol0(s: &str) -> Option<i64> {
    let s = s.trim_matches([' ', '\t']);
    if s.is_empty() {
        return Some(0);
    }
    let (neg, s) = match s.as_bytes()[0] {
        _ if s.len() > 1 && matches!(s.as_bytes()[1], b'+' | b'-') => return None,
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    // By hand, not i128::from_str_radix (~1 KB of code on 32-bit targets). Like it, one
    // sign may follow a base prefix ("0x-5").
    let (neg2, digits) = match digits.as_bytes().first() {
        Some(b'-') => (true, &digits[1..]),
        Some(b'+') => (false, &digits[1..]),
        _ => (false, digits),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        v = v
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(c.to_digit(radix)?))?;
    }
    if neg != neg2 {
        // -(2^63) is i64::MIN, which wrapping_neg leaves as it is.
        (v <= 1 << 63).then(|| (v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

impl Preproc {
    /// `instance` is `-i`'s name; None means the host name (keepalived's default).
    pub fn new(instance: Option<String>) -> Preproc {
        let std = |name: &str, value: &str, std| Def {
            name: name.to_string(),
            value: value.to_string(),
            multiline: false,
            std,
        };
        Preproc {
            instance: instance.or_else(host_instance),
            defs: vec![
                std("_PWD", "", Some(Std::Pwd)),
                std("_INSTANCE", "", Some(Std::Instance)),
                std("_RANDOM", "", Some(Std::Random)),
                std("_HASH", "#", None),
                std("_BANG", "!", None),
            ],
            open_def: None,
            gens: Vec::new(),
            pwd: PathBuf::new(),
            generated: 0,
            substituted: false,
            undefined: Vec::new(),
        }
    }

    /// The directory of the file now being read (for `$_PWD`).
    pub fn set_dir(&mut self, dir: &Path) {
        let abs = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|c| c.join(dir))
                .unwrap_or_default()
        };
        self.pwd = std::fs::canonicalize(&abs).unwrap_or(abs);
    }

    /// Generators are per file: an included file's lines come before the next generated
    /// line of the including one. The lexer takes them away around an include.
    pub fn take_gens(&mut self) -> Vec<Gen> {
        std::mem::take(&mut self.gens)
    }

    pub fn restore_gens(&mut self, gens: Vec<Gen>) {
        self.gens = gens;
    }

    /// A physical line of a file (not the continuation of a previous one), without its
    /// `\n`; `k` is the offset of its first non-blank byte.
    pub fn feed(&mut self, file: u16, line_no: u32, line: &str, k: usize) -> PResult<Feed> {
        let b = line.as_bytes();
        if self.open_def.is_none() {
            let first = b.get(k).copied();
            if !matches!(first, Some(b'@' | b'$' | b'~')) && !line.contains('$') {
                return Ok(Feed::Keep(k));
            }
        } else if line.trim_end_matches(['\r']).is_empty() {
            // keepalived: an empty line ends a multi-line definition.
            self.close_def();
            return Ok(Feed::Out(None));
        }
        let mut p = PLine::new(line, 1, file, line_no);
        p.decomment();
        self.substituted = false;
        let out = self.take(p)?;
        match out {
            // Unchanged but for an `@NAME` prefix: lex the file's own bytes.
            Some(o) if !self.substituted && self.gens.is_empty() => {
                let col = o.cols.first().copied().unwrap_or(1);
                let from = line
                    .char_indices()
                    .nth(col.saturating_sub(1) as usize)
                    .map_or(line.len(), |(i, _)| i);
                Ok(Feed::Keep(from))
            }
            out => Ok(Feed::Out(out)),
        }
    }

    /// The next generated line (a ~SEQ repetition, the next line of a multi-line value),
    /// preprocessed, or None when no generator is left.
    pub fn next(&mut self) -> PResult<Option<PLine>> {
        // Bounded: every pass produces a line or pops a generator, and the lines produced
        // are counted against MAX_CONFIG_FILE_BYTES.
        loop {
            let Some(top) = self.gens.last_mut() else {
                return Ok(None);
            };
            let line = match top {
                Gen::Seq {
                    var,
                    next,
                    step,
                    left,
                    hex,
                    text,
                } => {
                    if *left == 0 {
                        self.gens.pop();
                        continue;
                    }
                    let v = if *hex {
                        format!("{:x}", *next)
                    } else {
                        next.to_string()
                    };
                    let var = var.clone();
                    let line = text.clone();
                    *left -= 1;
                    // May overflow after the last value only, which is never used.
                    *next = next.wrapping_add(*step);
                    self.define(&var, &v, false);
                    line
                }
                Gen::Lines { lines, next, at } => {
                    let Some(l) = lines.get(*next) else {
                        self.gens.pop();
                        continue;
                    };
                    *next += 1;
                    PLine::at(l, at.col, at.file, at.line)
                }
            };
            self.generated = self.generated.saturating_add(line.text.len() + 1);
            if self.generated > MAX_CONFIG_FILE_BYTES {
                return perr(
                    line.pos(0),
                    format!(
                        "~SEQ and multi-line definitions generate more than MAX_CONFIG_FILE_BYTES ({} bytes) of text",
                        MAX_CONFIG_FILE_BYTES
                    ),
                );
            }
            if let Some(out) = self.take(line)? {
                return Ok(Some(out));
            }
        }
    }

    /// A line, decommented: part of an open multi-line definition, or preprocessed.
    fn take(&mut self, p: PLine) -> PResult<Option<PLine>> {
        if let Some(d) = self.open_def {
            // A comment line inside a multi-line definition is skipped.
            if p.text.is_empty() {
                return Ok(None);
            }
            let mut text = p.text;
            let more = text.ends_with('\\');
            if more {
                text.pop();
                let t = text.trim_end_matches([' ', '\t']).len();
                text.truncate(t);
                text.push('\n');
            }
            // keepalived skips a line that is only `\`.
            if text.len() >= 2 || (!text.is_empty() && !more) {
                if let Some(def) = self.defs.get_mut(d) {
                    def.value.push_str(&text);
                }
            }
            if !more {
                self.close_def();
            }
            return Ok(None);
        }
        self.process(p)
    }

    fn close_def(&mut self) {
        if let Some(d) = self.open_def.take() {
            if let Some(def) = self.defs.get_mut(d) {
                // A trailing `\n` would make an empty last line.
                if def.value.ends_with('\n') {
                    def.value.pop();
                }
                if def.value.is_empty() {
                    def.multiline = false;
                }
            }
        }
    }

    /// keepalived's read_line() after a line is read: `@` selection, definitions, ~SEQ,
    /// substitution, again while a substitution leaves an `@` or a `$`.
    fn process(&mut self, mut p: PLine) -> PResult<Option<PLine>> {
        let mut replaced = 0usize;
        // Bounded by MAX_REPLACEMENTS: a pass that replaces nothing ends the loop.
        loop {
            if p.text.starts_with('@') {
                let (rev, ofs) = if p.text.as_bytes().get(1) == Some(&b'^') {
                    (true, 2)
                } else {
                    (false, 1)
                };
                let Some(ws) = p.text[ofs..].find([' ', '\t']).map(|i| i + ofs) else {
                    return Ok(None);
                };
                let name = &p.text[ofs..ws];
                let matched = self.instance.as_deref() == Some(name);
                if matched == rev {
                    return Ok(None);
                }
                let rest =
                    ws + (p.text.len() - ws - p.text[ws..].trim_start_matches([' ', '\t']).len());
                p.remove(0, rest);
            }
            if p.text.starts_with('$') && self.definition(&p) {
                return Ok(None);
            }
            if p.text.starts_with("~SEQ") {
                self.add_seq(&p)?;
                return Ok(None);
            }
            if p.text.starts_with("~LST") {
                return perr(
                    p.pos(0),
                    "keepalived's '~LST' is not supported (use ~SEQ or one line per value)",
                );
            }
            if p.text.starts_with('~') || !p.text.contains('$') {
                break;
            }
            if !self.replace(&mut p, &mut replaced)? {
                break;
            }
            p.decomment();
            if !(p.text.starts_with('@') || p.text.contains('$')) {
                break;
            }
        }
        if p.text.is_empty() {
            return Ok(None);
        }
        Ok(Some(p))
    }

    fn find(&self, name: &str, multiline_ok: bool) -> Option<usize> {
        self.defs
            .iter()
            .position(|d| d.name == name && (multiline_ok || !d.multiline))
    }

    fn define(&mut self, name: &str, value: &str, multiline: bool) -> usize {
        let def = Def {
            name: name.to_string(),
            value: value.to_string(),
            multiline,
            std: None,
        };
        match self.defs.iter().position(|d| d.name == name) {
            Some(i) => {
                self.defs[i] = def;
                i
            }
            None => {
                self.defs.push(def);
                self.defs.len() - 1
            }
        }
    }

    /// `$NAME=value` (check_definition): defines NAME and returns true; false when the
    /// line is not a definition.
    fn definition(&mut self, p: &PLine) -> bool {
        let b = p.text.as_bytes();
        if !b.get(1).copied().is_some_and(is_name_start) {
            return false;
        }
        let mut e = 2;
        while e < b.len() && is_name(b[e]) {
            e += 1;
        }
        if b.get(e) != Some(&b'=') {
            return false;
        }
        let name = p.text[1..e].to_string();
        let mut value = p.text[e + 1..].trim_start_matches([' ', '\t']).to_string();
        let multiline = value.ends_with('\\');
        if multiline {
            value.pop();
            let t = value.trim_end_matches([' ', '\t']).len();
            value.truncate(t);
            if !value.is_empty() {
                value.push('\n');
            }
        }
        let i = self.define(&name, &value, multiline);
        if multiline {
            self.open_def = Some(i);
        }
        true
    }

    /// replace_param(): replaces every defined reference in `p`, scanning each value as
    /// it is put in. Returns whether anything was replaced.
    fn replace(&mut self, p: &mut PLine, replaced: &mut usize) -> PResult<bool> {
        let mut found = false;
        let mut i = 0;
        // Bounded: i grows, or a replacement is counted against MAX_REPLACEMENTS.
        while let Some(d) = p.text.get(i..).and_then(|t| t.find('$')).map(|k| k + i) {
            if d + 1 >= p.text.len() {
                break;
            }
            let Some(r) = reference(&p.text, d) else {
                i = d + 1;
                continue;
            };
            let Some(di) = self.find(r.name, r.at_end) else {
                let name = r.name.to_string();
                // A multi-line value not at the end of its line stays too, but is defined.
                if self.defs.iter().any(|d| d.name == name) {
                    i = d + 1;
                    continue;
                }
                let at = p.pos(d);
                if !self.undefined.iter().any(|(q, n)| *q == at && *n == name) {
                    self.undefined.push((at, name));
                }
                i = d + 1;
                continue;
            };
            let end = r.end;
            let col = p.cols.get(d).copied().unwrap_or(1);
            let at = p.pos(d);
            let params = r.params.map(str::to_string);
            if params.is_some() && self.defs[di].std != Some(Std::Random) {
                i = d + 1;
                continue;
            }
            *replaced += 1;
            if *replaced > MAX_REPLACEMENTS {
                return perr(
                    at,
                    format!(
                        "parameter substitution does not end (more than MAX_REPLACEMENTS ({}) in one line: does a definition refer to itself?)",
                        MAX_REPLACEMENTS
                    ),
                );
            }
            found = true;
            self.substituted = true;
            let value = self.value(di, params.as_deref(), at)?;
            let (first, rest) = if self.defs[di].multiline {
                match value.split_once('\n') {
                    Some((f, r)) => (f.to_string(), Some(r.to_string())),
                    None => (value.clone(), None),
                }
            } else {
                (value.clone(), None)
            };
            p.replace(d, end, &first, col);
            if p.text.len() > MAX_LINE_BYTES {
                return perr(
                    at,
                    format!(
                        "parameter substitution makes the line longer than MAX_LINE_BYTES ({} bytes)",
                        MAX_LINE_BYTES
                    ),
                );
            }
            if let Some(rest) = rest {
                // A loop, not a map/collect chain (code size).
                let mut lines = Vec::new();
                for l in rest.split('\n') {
                    lines.push(l.to_string());
                }
                self.gens.push(Gen::Lines { lines, next: 0, at });
            }
            if value.trim_start_matches([' ', '\t']).starts_with('~') {
                break;
            }
            i = d;
        }
        Ok(found)
    }

    fn value(&self, di: usize, params: Option<&str>, at: Pos) -> PResult<String> {
        let def = &self.defs[di];
        Ok(match def.std {
            None => def.value.clone(),
            Some(Std::Pwd) => self.pwd.display().to_string(),
            Some(Std::Instance) => self.instance.clone().unwrap_or_default(),
            Some(Std::Random) => {
                let mut it = params.unwrap_or("").split_whitespace();
                let num = |s: Option<&str>, d: u64| -> PResult<u64> {
                    match s {
                        None => Ok(d),
                        Some(s) => s.parse::<u64>().or_else(|_| {
                            perr(at, format!("${{_RANDOM}}: '{}' is not a number", s))
                        }),
                    }
                };
                let min = num(it.next(), 0)?;
                let max = num(it.next(), 32767)?;
                if it.next().is_some() || min > max {
                    return perr(at, "${_RANDOM MIN MAX} needs 0 <= MIN <= MAX");
                }
                let r = random_u64();
                let span = max - min;
                let v = if span == u64::MAX {
                    r
                } else {
                    min + r % (span + 1)
                };
                v.to_string()
            }
        })
    }

    /// `~SEQ(VAR, ...) rest` (add_seq): pushes a generator of `rest`.
    fn add_seq(&mut self, p: &PLine) -> PResult<()> {
        let t = &p.text;
        let bad = |why: &str| -> PResult<()> {
            perr(p.pos(0), format!("invalid ~SEQ: {} in '{}'", why, t))
        };
        let mut i = 4;
        let hex = t.as_bytes().get(i) == Some(&b'x');
        if hex {
            i += 1;
        }
        let rest = t[i..].trim_start_matches([' ', '\t']);
        let Some(inner) = rest.strip_prefix('(') else {
            return bad("'(' expected after ~SEQ");
        };
        let Some(close) = inner.find(')') else {
            return bad("no closing ')'");
        };
        let after = t.len() - inner.len() + close + 1;
        let args = &inner[..close];
        let Some((var, nums)) = args.split_once(',') else {
            return bad("a variable and at least one number are needed");
        };
        let var = var.trim_matches([' ', '\t']);
        if var.is_empty() || var.contains([' ', '\t']) {
            return bad("the variable name is missing");
        }
        // Numbers may be parameters: substitute them first (not multi-line ones).
        let mut np = PLine::at(nums, p.pos(0).col, p.file, p.line);
        let mut n = 0;
        let saved = self.gens.len();
        self.replace(&mut np, &mut n)?;
        if self.gens.len() != saved {
            self.gens.truncate(saved);
            return bad("a parameter is a multi-line definition");
        }
        let mut v = Vec::new();
        for f in np.text.split(',') {
            match strtol0(f) {
                Some(x) => v.push(x),
                None => {
                    return bad(&format!(
                        "'{}' is not a number that fits 64 bits",
                        f.trim_matches([' ', '\t'])
                    ))
                }
            }
        }
        let (start, step, end) = match v[..] {
            [end] => (
                if end < 0 { -1 } else { 1 },
                if end < 1 { -1 } else { 1 },
                end,
            ),
            [start, end] => (start, if start <= end { 1 } else { -1 }, end),
            [start, step, end] => {
                if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
                    return bad("the step is 0 or goes away from the end");
                }
                (start, step, end)
            }
            _ => return bad("more than 3 numbers"),
        };
        if hex && (start < 0 || end < 0) {
            return bad("~SEQx is only for positive numbers");
        }
        // In u64, not i128, for code size (i128 division and formatting are ~3 KB on
        // 32-bit targets): the checks above make end - start and step agree in sign, so
        // the count is |end - start| / |step| + 1, beyond u64 only for i64::MIN..=MAX.
        let steps = end.abs_diff(start) / step.unsigned_abs();
        if steps >= MAX_SEQ_VALUES as u64 {
            let count = match steps.checked_add(1) {
                Some(c) => c.to_string(),
                None => "18446744073709551616".to_string(),
            };
            return perr(
                p.pos(0),
                format!(
                    "~SEQ would repeat its line {} times, more than MAX_SEQ_VALUES ({})",
                    count, MAX_SEQ_VALUES
                ),
            );
        }
        let mut text = p.clone();
        let lead = t[after..].len() - t[after..].trim_start_matches([' ', '\t']).len();
        text.remove(0, after + lead);
        self.gens.push(Gen::Seq {
            var: var.to_string(),
            next: start,
            step,
            left: steps + 1,
            hex,
            text,
        });
        Ok(())
    }
}

/// Adds "'$NAME' is not defined" to an error on a line where an undefined reference was
/// left as written.
pub fn explain_undefined(mut e: Perr, undefined: &[(Pos, String)]) -> Perr {
    // Appended in place, not collected and joined (code size).
    let mut names = String::new();
    for (p, n) in undefined {
        if p.file == e.pos.file && p.line == e.pos.line {
            if !names.is_empty() {
                names.push_str(", ");
            }
            names.push_str("'$");
            names.push_str(n);
            names.push('\'');
        }
    }
    if !names.is_empty() {
        e.msg = format!(
            "{} ({} not defined: keepalived leaves an undefined name as written)",
            e.msg, names
        );
    }
    e
}

#[cfg(test)]
#[path = "preprocess_tests.rs"]
mod tests;
