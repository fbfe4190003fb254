//! Issue 12 item 6: the documentation cannot drift from the parser. Every word the
//! config parser matches as a keyword or keyword value (the string patterns of its match
//! arms in src/config/parse.rs, and its keyword list `Name = "word",` in
//! src/config/parse/kw.rs, read from the source, not copied here) must appear in
//! doc/lvsmon.conf.5, the full reference, and in the README's configuration section.

use std::collections::BTreeSet;

fn read(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn is_word(w: &str) -> bool {
    let mut c = w.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && w.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// The string literals of match patterns: `"kw" =>`, `"kw" |` and `| "kw"`.
fn parser_words() -> BTreeSet<String> {
    let src = read("src/config/parse.rs");
    let mut out = BTreeSet::new();
    let lits: Vec<(usize, usize)> = {
        // (start, end) of each "..." literal on one line, escapes aside (none in keywords).
        let b = src.as_bytes();
        let mut v = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'"' {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' && b[j] != b'\n' {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                if j < b.len() && b[j] == b'"' {
                    v.push((start, j));
                }
                i = j + 1;
            } else {
                i += 1;
            }
        }
        v
    };
    for (s, e) in lits {
        let word = &src[s..e];
        let after = src[e + 1..].trim_start();
        let before = src[..s - 1].trim_end();
        let pattern = after.starts_with("=>")
            || (after.starts_with('|') && !after.starts_with("||"))
            || (before.ends_with('|') && !before.ends_with("||"));
        if pattern && is_word(word) {
            out.insert(word.to_string());
        }
    }
    // The keyword list the parser's matches compare against: `Name = "word",` lines.
    for line in read("src/config/parse/kw.rs").lines() {
        let Some((name, rest)) = line.trim().split_once(" = \"") else {
            continue;
        };
        let Some(word) = rest.strip_suffix("\",") else {
            continue;
        };
        if name.chars().all(|c| c.is_ascii_alphanumeric()) && is_word(word) {
            out.insert(word.to_string());
        }
    }
    out
}

fn mentions(doc: &str, word: &str) -> bool {
    doc.match_indices(word).any(|(i, _)| {
        let before = doc[..i].chars().next_back();
        let after = doc[i + word.len()..].chars().next();
        let edge = |c: Option<char>| !c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        edge(before) && edge(after)
    })
}

#[test]
fn the_parser_matches_a_plausible_number_of_words() {
    let w = parser_words();
    // A broken extraction would find none (and the tests below pass vacuously).
    assert!(w.len() > 120, "{}", w.len());
    for k in [
        "virtual_server",
        "real_server",
        "HTTP_GET",
        "lb_algo",
        "delay_loop",
        "sorry_server",
    ] {
        assert!(w.contains(k), "{} not extracted", k);
    }
}

#[test]
fn every_parser_word_is_in_lvsmon_conf_5() {
    // groff escapes '-' as '\-' and switches fonts with \fB, \fI, \fR and \fP.
    let mut man = read("doc/lvsmon.conf.5").replace("\\-", "-");
    for font in ["\\fB", "\\fI", "\\fR", "\\fP"] {
        man = man.replace(font, " ");
    }
    let missing: Vec<String> = parser_words()
        .into_iter()
        .filter(|w| !mentions(&man, w))
        .collect();
    assert!(
        missing.is_empty(),
        "not in doc/lvsmon.conf.5: {:?}",
        missing
    );
}

#[test]
fn every_parser_word_is_in_the_readme() {
    let readme = read("README.md");
    let missing: Vec<String> = parser_words()
        .into_iter()
        .filter(|w| !mentions(&readme, w))
        .collect();
    assert!(missing.is_empty(), "not in README.md: {:?}", missing);
}
