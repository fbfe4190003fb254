//! Command-line parsing (owner: reactor).
