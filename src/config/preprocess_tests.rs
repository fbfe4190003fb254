//! Tests of `preprocess` (a file of their own: the module is long enough).

use super::*;

/// Runs the preprocessor over `src` as the lexer does (without includes) and returns
/// the lines it hands on, with the position of each line's first byte.
pub fn run(src: &str, instance: Option<&str>) -> PResult<Vec<(String, u32, u32)>> {
    let mut pp = Preproc::new(Some(instance.unwrap_or("none").to_string()));
    if instance.is_none() {
        pp.instance = None;
    }
    let mut out = Vec::new();
    for (n, line) in src.split('\n').enumerate() {
        let line_no = n as u32 + 1;
        let k = line.len() - line.trim_start_matches([' ', '\t']).len();
        match pp.feed(0, line_no, line, k)? {
            Feed::Keep(from) => {
                let t = line[from..]
                    .split(['#', '!'])
                    .next()
                    .unwrap_or("")
                    .trim_end();
                if !t.is_empty() {
                    let col = line[..from].chars().count() as u32 + 1;
                    out.push((t.to_string(), line_no, col));
                }
            }
            Feed::Out(o) => {
                if let Some(p) = o {
                    out.push((p.text.clone(), p.line, p.pos(0).col));
                }
                while let Some(p) = pp.next()? {
                    out.push((p.text.clone(), p.line, p.pos(0).col));
                }
            }
        }
    }
    Ok(out)
}

fn texts(src: &str, instance: Option<&str>) -> Vec<String> {
    run(src, instance)
        .unwrap()
        .into_iter()
        .map(|l| l.0)
        .collect()
}

fn err(src: &str) -> String {
    let e = run(src, Some("main")).unwrap_err();
    format!("{}:{}: {}", e.pos.line, e.pos.col, e.msg)
}

#[test]
fn substitution_plain_braced_and_where_a_name_ends() {
    let got = texts(
        "$A=10\n$B=x y\nw $A\nw ${A}5\nw $A5\nw $A,$A)\n w$A.1\n${B}\n",
        None,
    );
    assert_eq!(got, ["w 10", "w 105", "w $A5", "w 10,10)", "w$A.1", "x y"]);
}

#[test]
fn nesting_is_resolved_when_used_not_when_defined() {
    // keepalived.conf(5)'s own example.
    let got = texts(
        "$BASE=10.2.${SUB}\n$SUB=0\n${BASE}.100/32\n$SUB=10\n${BASE}.100/32\n",
        None,
    );
    assert_eq!(got, ["10.2.0.100/32", "10.2.10.100/32"]);
}

#[test]
fn columns_point_into_the_original_line() {
    let got = run("$P=8080\n  a   $P b\n", None).unwrap();
    assert_eq!(got, [("a   8080 b".to_string(), 2, 3)]);
    let mut pp = Preproc::new(Some("x".into()));
    assert!(matches!(
        pp.feed(0, 1, "$P=80", 0).unwrap(),
        Feed::Out(None)
    ));
    let Feed::Out(Some(p)) = pp.feed(0, 2, "\tport \u{e9} $P z", 1).unwrap() else {
        panic!("substituted line expected");
    };
    assert_eq!(p.text, "port \u{e9} 80 z");
    // Columns count characters; the value takes the column of its `$`.
    let col = |i: usize| p.pos(i).col;
    assert_eq!((col(0), col(5), col(8), col(9), col(11)), (2, 7, 9, 9, 12));
}

#[test]
fn undefined_names_stay_and_are_recorded() {
    let mut pp = Preproc::new(Some("x".into()));
    let Feed::Keep(0) = pp.feed(0, 1, "weight $NOPE", 0).unwrap() else {
        panic!("unchanged line expected");
    };
    assert_eq!(
        pp.undefined,
        [(
            Pos {
                file: 0,
                line: 1,
                col: 8
            },
            "NOPE".to_string()
        )]
    );
    let e = explain_undefined(
        Perr::new(
            Pos {
                file: 0,
                line: 1,
                col: 8,
            },
            "bad weight".into(),
        ),
        &pp.undefined,
    );
    assert_eq!(
        e.msg,
        "bad weight ('$NOPE' not defined: keepalived leaves an undefined name as written)"
    );
    // Shell variables in a script's command line pass through.
    assert_eq!(
        texts("misc_path \"/bin/sh -c 'test -n $HOME'\"\n", None),
        ["misc_path \"/bin/sh -c 'test -n $HOME'\""]
    );
}

#[test]
fn conditional_lines_by_instance() {
    let src = "@main a 1\n@backup a 2\n@^main b 3\n  @main   c 4\n@main\nd 5\n";
    assert_eq!(texts(src, Some("main")), ["a 1", "c 4", "d 5"]);
    assert_eq!(texts(src, Some("backup")), ["a 2", "b 3", "d 5"]);
    // No instance name at all (no -i and no host name): only `@^` lines are kept.
    assert_eq!(texts(src, None), ["b 3", "d 5"]);
    // Positions of a kept line are the text's after the prefix.
    let got = run(src, Some("main")).unwrap();
    assert_eq!(got[1], ("c 4".to_string(), 4, 11));
    // Conditions through a substitution, as keepalived.conf(5) shows.
    assert_eq!(
        texts("$IF_MAIN=@main\n$IF_MAIN priority 240\n", Some("main")),
        ["priority 240"]
    );
    assert!(texts("$IF_MAIN=@main\n$IF_MAIN priority 240\n", Some("b")).is_empty());
    // A definition that only one instance makes.
    assert_eq!(
        texts("@main $W=3\n@^main $W=1\nweight $W\n", Some("main")),
        ["weight 3"]
    );
}

#[test]
fn without_i_the_instance_is_the_host_name() {
    let pp = Preproc::new(None);
    assert_eq!(pp.instance, host_instance());
}

#[test]
fn multi_line_definitions() {
    let src =
        "$RS= \\\n real_server 192.0.2.$N 80 { \\\n   weight 1 \\\n }\n$N=5\n$RS\n$N=6\n  x $RS\n";
    let got = run(src, None).unwrap();
    let want = [
        ("real_server 192.0.2.5 80 {", 6, 1),
        ("weight 1", 6, 1),
        ("}", 6, 1),
        ("x real_server 192.0.2.6 80 {", 8, 3),
        ("weight 1", 8, 5),
        ("}", 8, 5),
    ];
    let want: Vec<(String, u32, u32)> = want
        .iter()
        .map(|(t, l, c)| (t.to_string(), *l, *c))
        .collect();
    assert_eq!(got, want);
    // A multi-line value is only replaced at the end of a line.
    assert_eq!(texts("$M=a \\\nb\n$M x\n", None), ["$M x"]);
    // An empty line ends the definition; comment lines do not.
    assert_eq!(
        texts("$M=a \\\n# note\nb \\\n\nc\n$M\n", None),
        ["c", "a", "b"]
    );
    // Nested multi-line definitions, and definitions inside one.
    let src = "$IN= \\\n  in $K \\\n  in2\n$OUT= \\\n  $K=7 \\\n  out \\\n  $IN \\\n  end\n$OUT\n";
    assert_eq!(texts(src, None), ["out", "in 7", "in2", "end"]);
}

#[test]
fn seq_repeats_with_bounds_steps_hex_and_nesting() {
    assert_eq!(texts("~SEQ(i,3) r $i\n", None), ["r 1", "r 2", "r 3"]);
    assert_eq!(texts("~SEQ(i,-2) r $i\n", None), ["r -1", "r -2"]);
    assert_eq!(texts("~SEQ(i,5,3) r $i\n", None), ["r 5", "r 4", "r 3"]);
    assert_eq!(texts("~SEQ(i,1,4,10) r $i\n", None), ["r 1", "r 5", "r 9"]);
    assert_eq!(texts("~SEQx(i,9,11) r $i\n", None), ["r 9", "r a", "r b"]);
    assert_eq!(texts("~SEQ(i,0x10,0x11) r $i\n", None), ["r 16", "r 17"]);
    assert_eq!(
        texts("$N=2\n~SEQ(i,1,$N) ~SEQ(j,1,2) r ${i}.$j\n", None),
        ["r 1.1", "r 1.2", "r 2.1", "r 2.2"]
    );
    // The variable stays defined with its last value.
    assert_eq!(texts("~SEQ(i,2) \nw $i\n", None), ["w 2"]);
    // A ~SEQ over a multi-line definition: each value's lines in order.
    assert_eq!(
        texts("$B= \\\n a $i \\\n b $i\n~SEQ(i,2) $B\n", None),
        ["a 1", "b 1", "a 2", "b 2"]
    );
}

#[test]
fn seq_errors_are_positioned_and_bounded() {
    assert_eq!(
        err("x\n  ~SEQ(i,1,100000) r $i\n"),
        "2:3: ~SEQ would repeat its line 100000 times, more than MAX_SEQ_VALUES (65536)"
    );
    assert_eq!(
        err("~SEQ(i,-9223372036854775808,9223372036854775807) r\n"),
        "1:1: ~SEQ would repeat its line 18446744073709551616 times, more than MAX_SEQ_VALUES (65536)"
    );
    assert!(err("~SEQ(i,1,99999999999999999999) r\n").starts_with(
        "1:1: invalid ~SEQ: '99999999999999999999' is not a number that fits 64 bits"
    ));
    assert!(err("~SEQ(i,1,0,3) r\n").starts_with("1:1: invalid ~SEQ: the step is 0"));
    assert!(err("~SEQ(i,3,1,1) r\n").starts_with("1:1: invalid ~SEQ: the step is 0"));
    assert!(err("~SEQ(i) r\n").starts_with("1:1: invalid ~SEQ: a variable"));
    assert!(err("~SEQ i,3 r\n").starts_with("1:1: invalid ~SEQ: '(' expected"));
    assert!(err("~SEQ(i,1,3 r\n").starts_with("1:1: invalid ~SEQ: no closing"));
    assert!(err("~SEQx(i,-3) r\n").starts_with("1:1: invalid ~SEQ: ~SEQx is only"));
    assert!(err("~LST(a,1,2) r\n").starts_with("1:1: keepalived's '~LST' is not supported"));
    // Nested sequences are bounded by the text they make.
    assert!(err(&format!(
        "$L=~SEQ(i,1,65536) ~SEQ(j,1,65536) {} $i\n$L\n",
        "x".repeat(200)
    ))
    .contains("more than MAX_CONFIG_FILE_BYTES"));
}

#[test]
fn endless_substitution_is_an_error() {
    assert_eq!(
        err("$A=$A\n  w $A\n"),
        "2:5: parameter substitution does not end (more than MAX_REPLACEMENTS (1024) in one line: does a definition refer to itself?)"
    );
    assert!(
        err(&format!("$A={} $A\nw $A\n", "x".repeat(100))).ends_with(
            "2:3: parameter substitution makes the line longer than MAX_LINE_BYTES (65536 bytes)"
        )
    );
}

#[test]
fn predefined_names() {
    let mut pp = Preproc::new(Some("edge1".into()));
    pp.set_dir(Path::new("/"));
    assert!(matches!(pp.feed(0, 1, "a ${_INSTANCE} $_PWD", 0).unwrap(),
        Feed::Out(Some(p)) if p.text == "a edge1 /"));
    for _ in 0..20 {
        let Feed::Out(Some(p)) = pp.feed(0, 1, "w ${_RANDOM 5 7}", 0).unwrap() else {
            panic!("substituted line expected");
        };
        let v: u32 = p.text[2..].parse().unwrap();
        assert!((5..=7).contains(&v), "{}", v);
    }
    // `$_HASH` outside quotes starts a comment once substituted, as in keepalived;
    // inside quotes it is text.
    assert_eq!(texts("a \"x${_HASH}\" b $_HASH c\n", None), ["a \"x#\" b"]);
    // Predefined names can be redefined.
    assert_eq!(texts("$_PWD=here\nw $_PWD\n", None), ["w here"]);
}

#[test]
fn comments_and_escapes() {
    // A `$` in a comment does nothing; `\#` in a value is a literal `#` ...
    assert_eq!(texts("$A=1 # one\nw $A # $A\n", None), ["w 1"]);
    assert_eq!(texts("$A=x\\#y\nw \"${A}\"\n", None), ["w \"x#y\""]);
    // `$A` needs a space, a tab, `,`, `)` or the end after it; `"` is none of them.
    assert_eq!(texts("$A=1\nw \"$A\"\n", None), ["w \"$A\""]);
    // ... and the escaping for the lexer restores what the lexer must not cut.
    let mut p = PLine::at("w x#y \"a#b\"", 1, 0, 1);
    p.escape_comment_chars();
    assert_eq!(p.text, "w x\\#y \"a#b\"");
    assert_eq!(p.cols.len(), p.text.len());
}

/// `strtol0` as it was written with i128::from_str_radix: the reference.
fn strtol0_ref(s: &str) -> Option<i64> {
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
    let v = i128::from_str_radix(digits, radix).ok()?;
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

#[test]
fn strtol0_matches_its_reference() {
    let cases = [
        "",
        " ",
        "0",
        "-0",
        "+0",
        "7",
        "-7",
        "+7",
        "-",
        "+",
        "--5",
        "+-5",
        "-+5",
        "0x",
        "0x-5",
        "0x+5",
        "0X1f",
        "0xFF",
        "0xg",
        "017",
        "018",
        "0-5",
        "0+5",
        "0--5",
        "0x-+5",
        "12a",
        " 42\t",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "0x7fffffffffffffff",
        "0x8000000000000000",
        "-0x8000000000000000",
        "0x-8000000000000000",
        "-0x-8000000000000000",
        "18446744073709551615",
        "18446744073709551616",
        "-18446744073709551616",
        "99999999999999999999999999999999999999999",
        "0777777777777777777777",
        "1000000000000000000000",
        "0x10000000000000000",
        "\u{e9}",
        "1\u{e9}",
        "٣",
    ];
    for c in cases {
        assert_eq!(strtol0(c), strtol0_ref(c), "'{}'", c);
    }
}
