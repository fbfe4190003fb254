//! HTTP_GET reply judging: `lvsmon::probe::http::parse_head` and `judge_status`, fed the
//! way the probe slot feeds them (src/probe/http.rs `http_read`): the head grows by reads
//! of varying size up to MAX_HTTP_HEADER_BYTES and is re-parsed after each read.
//!
//! Input: byte 0 picks the read size (1..=64 bytes, 0 = all at once), byte 1 picks the
//! accepted status codes, the rest is what the real server sent.
//! Checked besides "no panic": a status code, once known, never changes as more bytes
//! arrive (the slot judges on the first one it sees); a complete head stays complete with
//! the same length, code and Content-Length; lengths stay inside the buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lvsmon::model::config::{StatusCodes, Url};
use lvsmon::model::limits::MAX_HTTP_HEADER_BYTES;
use lvsmon::probe::http::{judge_status, parse_head, status_ok, Head};

fn code_of(h: &Head) -> Option<u16> {
    match *h {
        Head::Partial { code } | Head::Bad { code, .. } => code,
        Head::Complete { code, .. } => Some(code),
    }
}

fn url(selector: u8) -> Url {
    let mut status = StatusCodes::new();
    match selector % 4 {
        0 => {}
        1 => status.push((200, 200)).unwrap(),
        2 => {
            status.push((200, 204)).unwrap();
            status.push((301, 302)).unwrap();
        }
        _ => status.push((0, 65535)).unwrap(),
    }
    Url {
        path: "/".to_string(),
        digest: None,
        status,
        virtualhost: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let [step, sel, reply @ ..] = data else {
        return;
    };
    let url = url(*sel);
    let reply = &reply[..reply.len().min(MAX_HTTP_HEADER_BYTES)];
    let step = if *step == 0 {
        reply.len().max(1)
    } else {
        usize::from(*step % 64) + 1
    };

    let mut known: Option<u16> = None;
    let mut complete: Option<Head> = None;
    let mut filled = 0;
    while filled < reply.len() {
        filled = (filled + step).min(reply.len());
        let head = parse_head(&reply[..filled]);
        if let Some(k) = known {
            assert_eq!(
                code_of(&head),
                Some(k),
                "code changed at {filled}: {head:?}"
            );
        }
        if let Some(c) = complete {
            assert_eq!(head, c, "complete head changed at {filled}");
        }
        match head {
            Head::Partial { code } => {
                known = known.or(code);
            }
            Head::Complete { code, len, .. } => {
                assert!(len <= filled, "head length {len} past {filled} bytes");
                known = Some(code);
                complete = Some(head);
            }
            // The slot stops at the first bad head.
            Head::Bad { .. } => break,
        }
        if let Some(code) = known {
            let verdict = judge_status(&url, code);
            assert_eq!(verdict.is_ok(), status_ok(&url.status, code));
            if let Err(reason) = verdict {
                assert_eq!(reason.to_string(), format!("HTTP {code}"));
            }
        }
    }
});
