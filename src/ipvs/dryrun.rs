//! The dry-run backend (owner: director helper).
