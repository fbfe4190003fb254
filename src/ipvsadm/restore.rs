//! `ipvsadm -R` input: split into command lines exactly as ipvsadm's config_stream_read
//! does (tokens are runs of non-blanks, the word `ipvsadm` is dropped anywhere, blank
//! lines are skipped, `#` is NOT a comment — ipvsadm-restore filters those out before
//! ipvsadm sees them), then every line is parsed and validated before anything is
//! applied. Unlike ipvsadm, which applies each line as it reads it, a line that ipvsadm
//! would reject with an exit (a usage error) makes the whole input apply nothing.

use crate::ipvs::rule::Op;
use crate::ipvsadm::args::{self, Early, IpvsadmCommand};
use crate::ipvsadm::names::Names;

/// One command line of the input: its 1-based line number and its words (without the
/// program name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputLine {
    pub line: usize,
    pub words: Vec<String>,
}

/// Lines as ipvsadm's config_stream_read returns them. Its quirks are kept: input
/// ending in blanks without a final newline drops that last line; a line with no
/// words at the very end ends the input.
pub fn split(input: &str) -> Vec<InputLine> {
    let mut lines = Vec::new();
    let mut words = Vec::new();
    for_each_line(input, &mut words, |line, w| {
        lines.push(InputLine {
            line,
            words: w.iter().map(|s| s.to_string()).collect(),
        });
        true
    });
    lines
}

/// `split` without copies: calls `f(line, words)` per command line, the words borrowed
/// from `input` and collected in `words` (which is cleared first and reused, so a whole
/// input costs one buffer). Stops early when `f` returns false.
fn for_each_line<'a>(
    input: &'a str,
    words: &mut Vec<&'a str>,
    mut f: impl FnMut(usize, &[&'a str]) -> bool,
) {
    let b = input.as_bytes();
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let mut pos = 0;
    let mut lineno = 1;
    // Each outer pass consumes at least one byte or ends.
    'outer: loop {
        let start_line = lineno;
        words.clear();
        loop {
            if pos >= b.len() {
                // fscanf() hits EOF: the line so far is returned only if it has words.
                if !words.is_empty() {
                    f(start_line, words);
                }
                break 'outer;
            }
            if ws(b[pos]) {
                // The token conversion failed: skip blanks up to the newline.
                loop {
                    if pos >= b.len() {
                        break 'outer;
                    }
                    let c = b[pos];
                    pos += 1;
                    match c {
                        b'\n' => {
                            lineno += 1;
                            if !words.is_empty() && !f(start_line, words) {
                                break 'outer;
                            }
                            continue 'outer;
                        }
                        b' ' | b'\t' | b'\r' => {}
                        _ => {
                            pos -= 1;
                            break;
                        }
                    }
                }
                continue;
            }
            let s = pos;
            while pos < b.len() && !ws(b[pos]) {
                pos += 1;
            }
            let token = &input[s..pos];
            if token != "ipvsadm" {
                words.push(token);
            }
            if pos < b.len() {
                let tail = b[pos];
                pos += 1;
                if tail == b'\n' {
                    lineno += 1;
                    if !words.is_empty() && !f(start_line, words) {
                        break 'outer;
                    }
                    continue 'outer;
                }
            }
        }
    }
}

/// What one input line does once validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A command to run (an operation, or a listing/save that prints).
    Run(IpvsadmCommand),
    /// A popt error after the command option: ipvsadm prints it and goes on with the
    /// next line (that line's result is -1).
    Skip(Early),
}

/// A whole input, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<(usize, Step)>,
}

impl Plan {
    /// The table operations, in input order.
    pub fn ops(&self) -> Vec<Op> {
        self.steps
            .iter()
            .filter_map(|(_, s)| match s {
                Step::Run(IpvsadmCommand::Apply(op)) => Some(op.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A line that makes ipvsadm exit: nothing of the input is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number in the input.
    pub line: usize,
    /// Messages ipvsadm would have printed for earlier lines (popt errors), in order.
    pub earlier: Vec<Early>,
    pub error: Early,
}

/// Parses and validates every line. `program` is what ipvsadm prints as its name.
pub fn plan(input: &str, program: &str, names: &Names) -> Result<Plan, Rejected> {
    let mut steps = Vec::new();
    let mut earlier = Vec::new();
    let mut rejected = None;
    // argv for args::parse: the program name, then the line's words.
    let mut argv: Vec<&str> = vec![program];
    for_each_line(input, &mut Vec::new(), |line, words| {
        argv.truncate(1);
        argv.extend_from_slice(words);
        match args::parse_words(&argv, names, true) {
            Ok(cmd) => steps.push((line, Step::Run(cmd))),
            Err(e) if !e.fatal => {
                earlier.push(e.clone());
                steps.push((line, Step::Skip(e)));
            }
            Err(e) => {
                rejected = Some((line, e));
                return false;
            }
        }
        true
    });
    match rejected {
        Some((line, error)) => Err(Rejected {
            line,
            earlier,
            error,
        }),
        None => Ok(Plan { steps }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn il(line: usize, w: &[&str]) -> InputLine {
        InputLine {
            line,
            words: w.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The bench's rules text (bench/vm/table.sh `restore_file NVS NRS`): `ipvsadm -S -n`
    /// style, NAT real servers in the documentation ranges, several ports per address.
    fn bench_input(nvs: usize, nrs: usize) -> String {
        let mut t = String::new();
        let mut k = 0;
        for s in 0..nvs {
            let vs = format!("192.0.2.{}:{}", 10 + s / 50, 80 + s % 50);
            t.push_str(&format!("-A -t {vs} -s rr\n"));
            for _ in 0..nrs {
                let (slot, port) = (k % 506, 8000 + k / 506);
                let a = if slot < 253 {
                    format!("198.51.100.{}", 2 + slot)
                } else {
                    format!("203.0.113.{}", 2 + slot - 253)
                };
                t.push_str(&format!("-a -t {vs} -r {a}:{port} -m -w 1\n"));
                k += 1;
            }
        }
        t
    }

    fn plan_bench(nvs: usize, nrs: usize) {
        let text = bench_input(nvs, nrs);
        let names = Names::system();
        let p = plan(&text, "lvsmon restore", &names).unwrap();
        let ops = p.ops();
        assert_eq!(ops.len(), nvs * (nrs + 1));
        assert!(matches!(ops[0], Op::AddService(_)));
        assert!(matches!(ops[1], Op::AddDest(..)));
    }

    // Host measurement of the restore parser on the bench inputs; nothing is timed here.
    // Instruction counts (repeatable on a loaded machine): build the lib tests with
    // CARGO_PROFILE_RELEASE_STRIP=false cargo test --release --lib --no-run, then run that
    // binary under valgrind --tool=callgrind --toggle-collect='lvsmon::ipvsadm::restore::plan'
    // with --ignored --exact ipvsadm::restore::tests::plan_bench_1x1000 (or _100x10).
    #[test]
    #[ignore]
    fn plan_bench_1x1000() {
        plan_bench(1, 1000);
    }

    #[test]
    #[ignore]
    fn plan_bench_100x10() {
        plan_bench(100, 10);
    }

    #[test]
    fn splits_like_config_stream_read() {
        assert_eq!(
            split("-A -t 1.2.3.4:80\n\n  \n\tipvsadm -a  -t x\r\n-C"),
            vec![
                il(1, &["-A", "-t", "1.2.3.4:80"]),
                il(4, &["-a", "-t", "x"]),
                il(5, &["-C"]),
            ]
        );
        // Trailing blanks without a newline at the end drop the last line.
        assert_eq!(split("-C\n-Z  "), vec![il(1, &["-C"])]);
        // '#' is an ordinary word.
        assert_eq!(split("# x\n"), vec![il(1, &["#", "x"])]);
    }
}
