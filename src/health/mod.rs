//! Health state machines (owner: director helper).
