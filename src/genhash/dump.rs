//! genhash's verbose output: keepalived's banners and its `dump_buffer` hex dump (lib/
//! utils.c), byte for byte, so `lvsmon genhash -v` reads like `genhash -v`.

use std::fmt::Write as _;

pub const HTTP_HEADER_HEXA: &str =
    "-----------------------[    HTTP Header Buffer    ]-----------------------\n";
pub const HTTP_HEADER_ASCII: &str =
    "-----------------------[ HTTP Header Ascii Buffer ]-----------------------\n";
pub const HTML_HEADER_HEXA: &str =
    "-----------------------[        HTML Buffer        ]-----------------------\n";
pub const HTML_HASH: &str =
    "-----------------------[    HTML hash resulting    ]-----------------------\n";
pub const HTML_HASH_FINAL: &str =
    "-----------------------[ HTML hash final resulting ]-----------------------\n";

/// Appends keepalived's hex dump of `buf`: 16 bytes a line, the offset in decimal
/// (`%.4zu` of the offset modulo 65536), a dash after the 8th byte, the printable ASCII
/// at the end; the last line padded with blanks to 16 columns.
pub fn dump_buffer(out: &mut String, buf: &[u8]) {
    let count = buf.len();
    let padded = count.div_ceil(16) * 16;
    for i in 0..padded {
        if i % 16 == 0 {
            let _ = write!(out, "{:04} ", i & 0xffff);
        }
        match buf.get(i) {
            Some(b) => {
                let _ = write!(out, " {:02x}", b);
            }
            None => out.push_str("   "),
        }
        if (i + 1) % 8 == 0 {
            if (i + 1) % 16 != 0 {
                out.push_str(" -");
            } else {
                out.push_str("   ");
                for j in i - 15..=i {
                    out.push(match buf.get(j) {
                        Some(&b) if (0x20..=0x7e).contains(&b) => b as char,
                        Some(_) => '.',
                        None => ' ',
                    });
                }
                out.push('\n');
            }
        }
    }
}

/// The digest block printed once the whole body is in (keepalived's `dump_digest`).
pub fn dump_digest(out: &mut String, digest: &[u8]) {
    out.push('\n');
    out.push_str(HTML_HASH);
    dump_buffer(out, digest);
    out.push_str(HTML_HASH_FINAL);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_matches_keepalived() {
        let mut s = String::new();
        dump_buffer(&mut s, b"HTTP/1.0 200 OK\r\nServer: x");
        assert_eq!(
            s,
            "0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n\
             0016  0a 53 65 72 76 65 72 3a - 20 78                     .Server: x      \n"
        );
        let mut e = String::new();
        dump_buffer(&mut e, b"");
        assert_eq!(e, "");
    }
}
