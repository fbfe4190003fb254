//! ipvsadm compatibility: rule text, error words, listing formats, the personality.

pub mod errors;
pub mod rule;
