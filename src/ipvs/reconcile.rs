//! Desired vs believed table to operations (owner: director helper).
