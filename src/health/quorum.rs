//! Quorum of a virtual service with hysteresis (keepalived.conf(5): `quorum` is the
//! minimum total weight of live real servers, `hysteresis` the tolerance around it).
//!
//! As keepalived does: a service that has quorum loses it when the live weight drops
//! below `quorum - hysteresis` or reaches 0; one without quorum regains it when the live
//! weight reaches `quorum + hysteresis` (and is above 0). The "reaches 0" rule makes a
//! service whose live servers all weigh 0 (drained) count as having nobody up, so its
//! sorry server takes over, and keeps `quorum 0` from flapping.

/// The next quorum state given the current one and the summed weight of live servers.
pub fn next_state(up: bool, live_weight: i64, quorum: u32, hysteresis: u32) -> bool {
    let (q, h) = (i64::from(quorum), i64::from(hysteresis));
    if up {
        !(live_weight <= 0 || live_weight < q - h)
    } else {
        live_weight > 0 && live_weight >= q + h
    }
}

#[cfg(test)]
mod tests {
    use super::next_state;

    #[test]
    fn default_quorum_is_any_live_weight() {
        assert!(next_state(true, 1, 1, 0));
        assert!(!next_state(true, 0, 1, 0));
        assert!(!next_state(false, 0, 1, 0));
        assert!(next_state(false, 3, 1, 0));
    }

    #[test]
    fn hysteresis_widens_the_band_both_ways() {
        // quorum 4, hysteresis 1: lost below 3, regained at 5.
        let walk = [
            (4, true),
            (3, true),
            (2, false),
            (3, false),
            (4, false),
            (5, true),
            (3, true),
        ];
        let mut up = true;
        for (w, want) in walk {
            up = next_state(up, w, 4, 1);
            assert_eq!(up, want, "live weight {}", w);
        }
    }

    #[test]
    fn quorum_zero_does_not_flap_at_zero_weight() {
        assert!(!next_state(true, 0, 0, 0));
        assert!(!next_state(false, 0, 0, 0));
        assert!(next_state(false, 1, 0, 0));
    }
}
