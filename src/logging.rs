//! Where log lines go: stderr (the default, which procd hands to logd), a file, or
//! syslog's /dev/log. One line per event, with a UTC timestamp except on syslog, whose
//! daemon stamps lines itself.
//!
//! Stderr and file lines are `2026-11-21T17:07:12.94Z [INFO] message`: an RFC 3339 UTC
//! timestamp whose fraction has its trailing zeros cut (none when the nanoseconds are
//! 0), the level, the message. That is the format simplelog 0.12 wrote with
//! `set_time_format_rfc3339()` (through the `time` crate), which this module replaced to
//! meet issue 5's size budget (`time` alone was ~39 KB of a 600 KiB binary).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};

pub enum Sink<'a> {
    Stderr,
    File(&'a Path),
    Syslog,
}

/// Installs the global logger. `verbose` adds debug lines (each probe result).
pub fn init(sink: Sink<'_>, verbose: bool) -> io::Result<()> {
    let level = if verbose {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    };
    let logger: Box<dyn Log> = match sink {
        Sink::Stderr => Box::new(StampLogger::new(Out::Stderr, level)),
        Sink::File(path) => {
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            Box::new(StampLogger::new(Out::File(file), level))
        }
        Sink::Syslog => Box::new(SyslogLogger::connect(level)?),
    };
    // A logger already installed (tests that run several daemons in one process) is
    // fine: the first one stays, as with simplelog before.
    if log::set_logger(Box::leak(logger)).is_ok() {
        log::set_max_level(level);
    }
    Ok(())
}

enum Out {
    Stderr,
    File(File),
}

/// Timestamped lines to stderr or a file. The line is built in a buffer kept across
/// calls (no allocation once it has grown to the longest line) and written with one
/// `write` so that lines from a crash-time panic message or another writer to the same
/// file do not interleave mid-line.
struct StampLogger {
    level: LevelFilter,
    state: Mutex<(Out, String)>,
}

impl StampLogger {
    fn new(out: Out, level: LevelFilter) -> StampLogger {
        StampLogger {
            level,
            state: Mutex::new((out, String::with_capacity(512))),
        }
    }
}

impl Log for StampLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let (out, line) = &mut *state;
        line.clear();
        let (secs, nanos) = unix_now();
        let _ = push_rfc3339(line, secs, nanos);
        let _ = writeln!(line, " [{}] {}", record.level(), record.args());
        // A full disk or a closed stderr must not stop the checks: drop the line.
        let _ = match out {
            Out::Stderr => io::stderr().write_all(line.as_bytes()),
            Out::File(f) => f.write_all(line.as_bytes()),
        };
    }

    fn flush(&self) {}
}

/// The wall clock as (seconds, nanoseconds) since 1970-01-01T00:00:00Z, floored: an
/// instant before the epoch has negative seconds and nanoseconds in 0..1e9.
fn unix_now() -> (i64, u32) {
    split_unix(SystemTime::now())
}

fn split_unix(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_nanos() {
                0 => (-secs, 0),
                n => (-secs - 1, 1_000_000_000 - n),
            }
        }
    }
}

/// The proleptic Gregorian date (year, month 1-12, day 1-31) of a day number counted
/// from 1970-01-01 = 0. Howard Hinnant's `civil_from_days` ("chrono-Compatible
/// Low-Level Date Algorithms"): shift the year to start on March 1 so that the leap day
/// is the last day of the shifted year, then split into 400-year eras of 146097 days.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days from 0000-03-01
    let era = z.div_euclid(146_097);
    // Within an era everything fits a u32: 32-bit arithmetic, for code size on 32-bit
    // targets (i64 divisions are library calls there).
    let doe = z.rem_euclid(146_097) as u32; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of March-based year
    let mp = (5 * doy + 2) / 153; // March = 0 .. February = 11
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = i64::from(yoe) + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (RFC 3339, UTC) for `secs` + `nanos`
/// after the epoch. The fraction is the nanoseconds with trailing zeros removed, and is
/// left out when they are 0, as the `time` crate's `Rfc3339` did. Into any `fmt::Write`
/// (a String here, status's `Rfc3339` too), for code size: one copy of the clock text.
pub fn push_rfc3339(out: &mut dyn std::fmt::Write, secs: i64, nanos: u32) -> std::fmt::Result {
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400) as u32;
    if (0..10_000).contains(&year) {
        push_digits(out, year as u32, 4)?;
    } else {
        // Beyond RFC 3339's four digits: still unambiguous, never reached by a clock.
        write!(out, "{}", year)?;
    }
    for (sep, v) in [
        ('-', month),
        ('-', day),
        ('T', rem / 3600),
        (':', rem / 60 % 60),
        (':', rem % 60),
    ] {
        out.write_char(sep)?;
        push_digits(out, v, 2)?;
    }
    let mut frac = nanos % 1_000_000_000;
    if frac != 0 {
        let mut width = 9;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        out.write_char('.')?;
        push_digits(out, frac, width)?;
    }
    out.write_char('Z')
}

/// `v` as exactly `width` decimal digits, zero-padded (`v` < 10^width).
fn push_digits(out: &mut dyn std::fmt::Write, v: u32, width: u32) -> std::fmt::Result {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        out.write_char(char::from(b'0' + (v / div % 10) as u8))?;
        div /= 10;
    }
    Ok(())
}

/// RFC 3164 lines to /dev/log, facility daemon, tagged `lvsmon[pid]`.
struct SyslogLogger {
    socket: UnixDatagram,
    level: LevelFilter,
    pid: u32,
    line: Mutex<String>,
}

const FACILITY_DAEMON: u8 = 3;

/// Where syslog daemons (busybox syslogd, rsyslog, systemd-journald) listen.
pub const SYSLOG_SOCKET: &str = "/dev/log";

impl SyslogLogger {
    fn connect(level: LevelFilter) -> io::Result<SyslogLogger> {
        Self::connect_to(Path::new(SYSLOG_SOCKET), level)
    }

    fn connect_to(path: &Path, level: LevelFilter) -> io::Result<SyslogLogger> {
        let socket = UnixDatagram::unbound()?;
        socket.connect(path)?;
        Ok(SyslogLogger {
            socket,
            level,
            pid: crate::sys::process::getpid(),
            line: Mutex::new(String::with_capacity(512)),
        })
    }
}

fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

impl Log for SyslogLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Ok(mut line) = self.line.lock() else {
            return;
        };
        line.clear();
        let pri = FACILITY_DAEMON * 8 + severity(record.level());
        let _ = write!(line, "<{}>lvsmon[{}]: {}", pri, self.pid, record.args());
        // A full or absent syslog daemon must not stop the checks: drop the line.
        let _ = self.socket.send(line.as_bytes());
    }

    fn flush(&self) {}
}

/// One log line at `level`: the target of lvsmon's `info!`/`warn!`/`error!`/`debug!`
/// macros. Why not log's own macros: each of their call sites tests the level inline
/// and builds the record's target, module path and location (none of which lvsmon's
/// loggers print), about 60 bytes of MIPS code a site; here a site passes only the level
/// and its message (8.1 KB less on mipsel over lvsmon's 129 log lines, cross/SIZES.md).
#[inline(never)]
pub fn emit(level: Level, args: std::fmt::Arguments<'_>) {
    if level <= log::max_level() {
        log::logger().log(&Record::builder().level(level).args(args).build());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_lines_carry_facility_daemon_name_and_pid() {
        let dir = std::env::temp_dir().join(format!("lvsmon-syslog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).unwrap();
        let logger = SyslogLogger::connect_to(&path, LevelFilter::Info).unwrap();
        let pid = crate::sys::process::getpid();
        let cases = [
            (Level::Info, "real server up", 30),
            (Level::Warn, "drift", 28),
            (Level::Error, "cannot open", 27),
        ];
        for (level, text, pri) in cases {
            logger.log(
                &Record::builder()
                    .level(level)
                    .args(format_args!("{}", text))
                    .build(),
            );
            let mut buf = [0u8; 256];
            let n = server.recv(&mut buf).unwrap();
            assert_eq!(
                std::str::from_utf8(&buf[..n]).unwrap(),
                format!("<{}>lvsmon[{}]: {}", pri, pid, text)
            );
        }
        // Debug lines are filtered at Info.
        assert!(!logger.enabled(&Metadata::builder().level(Level::Debug).build()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn stamp(secs: i64, nanos: u32) -> String {
        let mut s = String::new();
        let _ = push_rfc3339(&mut s, secs, nanos);
        s
    }

    #[test]
    fn timestamps_are_rfc3339_utc_at_known_instants() {
        // Expected values from `date -u -d @SECS +%FT%TZ` (GNU coreutils).
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (-62_135_596_800, "0001-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (951_868_799, "2000-02-29T23:59:59Z"),
            (951_868_800, "2000-03-01T00:00:00Z"),
            (1_709_164_800, "2024-02-29T00:00:00Z"),
            (1_735_689_599, "2024-12-31T23:59:59Z"),
            (1_735_689_600, "2025-01-01T00:00:00Z"),
            (1_795_280_832, "2026-11-21T17:07:12Z"),
            (2_147_483_647, "2038-01-19T03:14:07Z"),
            (2_147_483_648, "2038-01-19T03:14:08Z"),
            (4_102_444_800, "2100-01-01T00:00:00Z"),
            // 2100 is not a leap year (divisible by 100, not by 400).
            (4_107_542_399, "2100-02-28T23:59:59Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ];
        for (secs, want) in cases {
            assert_eq!(stamp(secs, 0), want, "{}", secs);
        }
    }

    #[test]
    fn the_fraction_drops_trailing_zeros_as_the_time_crate_did() {
        assert_eq!(stamp(1_795_280_832, 940_000_000), "2026-11-21T17:07:12.94Z");
        assert_eq!(stamp(1_795_280_832, 1), "2026-11-21T17:07:12.000000001Z");
        assert_eq!(
            stamp(1_795_280_832, 123_456_789),
            "2026-11-21T17:07:12.123456789Z"
        );
        assert_eq!(stamp(1_795_280_832, 500_000_000), "2026-11-21T17:07:12.5Z");
        assert_eq!(stamp(1_795_280_832, 10_000), "2026-11-21T17:07:12.00001Z");
    }

    #[test]
    fn civil_dates_match_a_day_by_day_calendar_walk() {
        // Walk every day from 1600-01-01 to 2500-12-31 with the Gregorian leap rule
        // and compare: covers every month end, leap day and century rule.
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let mut days = civil_days_1600();
        for year in 1600..=2500i64 {
            for month in 1..=12u32 {
                let len = match month {
                    2 if leap(year) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                for day in 1..=len {
                    assert_eq!(civil_from_days(days), (year, month, day), "day {}", days);
                    days += 1;
                }
            }
        }
        assert_eq!(civil_from_days(days), (2501, 1, 1));
    }

    /// 1600-01-01 as a day number: 370 years of 365 days plus their 90 leap days
    /// (1600..1970 has 93 years divisible by 4, minus 1700, 1800, 1900).
    fn civil_days_1600() -> i64 {
        -(370 * 365 + 90)
    }

    #[test]
    fn pre_epoch_instants_floor_to_the_earlier_second() {
        let t = UNIX_EPOCH - std::time::Duration::from_millis(1500);
        assert_eq!(split_unix(t), (-2, 500_000_000));
        let t = UNIX_EPOCH + std::time::Duration::new(7, 25);
        assert_eq!(split_unix(t), (7, 25));
    }

    #[test]
    fn file_lines_are_stamp_level_message() {
        let dir = std::env::temp_dir().join(format!("lvsmon-logfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        let logger = StampLogger::new(Out::File(file), LevelFilter::Info);
        let before = unix_now().0;
        for (level, text) in [
            (Level::Info, "real server up"),
            (Level::Warn, "drift"),
            (Level::Error, "cannot open"),
            (Level::Debug, "filtered out"),
        ] {
            logger.log(
                &Record::builder()
                    .level(level)
                    .args(format_args!("{}", text))
                    .build(),
            );
        }
        let after = unix_now().0;
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let want = [
            "[INFO] real server up\n",
            "[WARN] drift\n",
            "[ERROR] cannot open\n",
        ];
        assert_eq!(lines.len(), want.len(), "{}", text);
        for (line, want) in lines.iter().zip(want) {
            let (stamp, rest) = line.split_once(' ').unwrap();
            assert_eq!(rest, want);
            // The stamp is one of the seconds the calls ran in, with or without a
            // fraction of 1 to 9 digits and no trailing zero.
            let body = stamp.strip_suffix('Z').unwrap();
            let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
            let ok = (before..=after).any(|s| self::stamp(s, 0) == format!("{}Z", whole));
            assert!(ok, "{}", line);
            assert!(frac.len() <= 9 && !frac.ends_with('0'), "{}", line);
            assert!(frac.bytes().all(|b| b.is_ascii_digit()), "{}", line);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
